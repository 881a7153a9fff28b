package seccomp_test

import (
	"fmt"

	"github.com/go-dock/dock/internal/seccomp"
)

func ExampleDefault() {
	// Docker's default capabilities.
	caps := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
		"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
		"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}
	prog, err := seccomp.Default(caps)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The container init passes these to seccomp(SECCOMP_SET_MODE_FILTER).
	filter := prog.Bytes()
	fmt.Println(len(filter) == 8*len(prog), len(prog) < 4096)
	// Output: true true
}
