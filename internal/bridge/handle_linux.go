package bridge

import (
	"os"

	"github.com/vishvananda/netns"
)

func netnsHandle(f *os.File) netns.NsHandle { return netns.NsHandle(int(f.Fd())) }
