package main

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-dock/dock"
	"github.com/go-dock/dock/dockerapi"
)

// The expected outputs below are those of docker CLI 28.2.2 with the
// same templates on the same objects.

func TestFormatFuncs(t *testing.T) {
	for format, want := range map[string]string{
		`{{json .}}`:                              `{"a":"<b>&"}`, // no HTML escaping
		`{{title "foo-bar baz_qux o'neil"}}`:      "Foo-Bar Baz_qux O'neil",
		`{{pad "x" 1 2}}|{{pad "" 1 2}}`:          " x  |",
		`{{truncate "abcdef" 3}}`:                 "abc",
		`{{truncate "ab" 3}}`:                     "ab",
		`{{split "a,b" ","}}`:                     "[a b]",
		`{{join (split "a,b" ",") "+"}}`:          "a+b",
		`{{upper "a"}}{{lower "B"}}`:              "Ab",
		`{{println "a"}}b`:                        "a\nb",
		`{{range $k, $v := .}}{{$k}}{{end}}`:      "a",
		`{{index . "a" | printf "%q"}}`:           `"<b>&"`,
		`{{with .a}}{{. | len}}{{end}} bytes`:     "4 bytes",
		`{{if eq .a "<b>&"}}yes{{else}}no{{end}}`: "yes",
	} {
		tmpl, err := parseTemplate("", format)
		require.NoError(t, err, format)
		var buf bytes.Buffer
		require.NoError(t, tmpl.Execute(&buf, map[string]string{"a": "<b>&"}), format)
		assert.Equal(t, want, buf.String(), format)
	}
	_, err := parseTemplate("", "{{")
	assert.EqualError(t, err, "template parsing error: template: :1: unclosed action")
	_, err = parseTemplate("version", "{{")
	assert.EqualError(t, err, "template parsing error: template: version:1: unclosed action")
}

// inspected stands for an Engine API type: a field whose JSON name is not
// its Go name, a map keyed by a type of its own, a nil pointer.
type inspected struct {
	ID     string `json:"Id"`
	Ports  map[portKey][]string
	Health *struct{ Status string }
	Label  map[string]string
}

type portKey struct{ n int }

func (p portKey) MarshalText() ([]byte, error) { return []byte("80/tcp"), nil }

func TestInspector(t *testing.T) {
	obj := inspected{ID: "abc", Ports: map[portKey][]string{{80}: {"8080"}}, Label: map[string]string{"k": "<v>"}}
	run := func(format string, objs ...any) (string, []error) {
		var out bytes.Buffer
		in, err := newInspector(&out, format)
		require.NoError(t, err, format)
		var errs []error
		for _, o := range objs {
			if err := in.add(o); err != nil {
				errs = append(errs, err)
			}
		}
		require.NoError(t, in.flush())
		return out.String(), errs
	}
	// The Go type first ({{.ID}}, {{.Ports}} as the type prints), the
	// JSON where the type has no such field ({{.Id}}) or the index needs
	// a string key.
	for format, want := range map[string]string{
		`{{.ID}}`:                                 "abc\n",
		`{{.Id}}`:                                 "abc\n",
		`{{index .Ports "80/tcp"}}`:               "[8080]\n",
		`{{.Label.k}} {{.Label.nope}}`:            "<v> <no value>\n",
		`{{json .Label}}`:                         `{"k":"<v>"}` + "\n",
		`{{.Id}}\t{{.Id}}`:                        `abc\tabc` + "\n", // no \t replacement in inspect
		`{{range $k, $v := .Ports}}{{$k}}{{end}}`: "{80}\n",
	} {
		out, errs := run(format, obj)
		assert.Empty(t, errs, format)
		assert.Equal(t, want, out, format)
	}
	// No template: the indented array; json: on one line; none found:
	// [].
	out, _ := run("", obj, obj)
	assert.Equal(t, "[\n    {\n        \"Id\": \"abc\",\n        \"Ports\": {\n            \"80/tcp\": [\n                \"8080\"\n"+
		"            ]\n        },\n        \"Health\": null,\n        \"Label\": {\n            \"k\": \"<v>\"\n        }\n    },\n"+
		"    {\n        \"Id\": \"abc\",\n        \"Ports\": {\n            \"80/tcp\": [\n                \"8080\"\n"+
		"            ]\n        },\n        \"Health\": null,\n        \"Label\": {\n            \"k\": \"<v>\"\n        }\n    }\n]\n", out)
	out, _ = run("json", obj, obj)
	assert.Equal(t, `[{"Id":"abc","Ports":{"80/tcp":["8080"]},"Health":null,"Label":{"k":"<v>"}},{"Id":"abc","Ports":{"80/tcp":["8080"]},"Health":null,"Label":{"k":"<v>"}}]`+"\n", out)
	out, _ = run("")
	assert.Equal(t, "[]\n", out)

	// A field neither has: docker's error, and an empty line when no
	// object gave a line.
	out, errs := run(`{{.State.Health.Status}}`, obj)
	assert.Equal(t, "\n", out)
	require.Len(t, errs, 1)
	assert.EqualError(t, errs[0], `template parsing error: template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key "State"`)
	out, errs = run(`{{.Health.Status}}`, obj)
	assert.Equal(t, "\n", out)
	assert.EqualError(t, errs[0], `template parsing error: template: :1:9: executing "" at <.Health.Status>: nil pointer evaluating interface {}.Status`)

	// A template that does not parse: exit 64.
	_, err := newInspector(&bytes.Buffer{}, "{{")
	var st *statusError
	require.True(t, errors.As(err, &st))
	assert.Equal(t, 64, st.code)
	assert.EqualError(t, err, "template parsing error: template: :1: unclosed action")
}

// The templates of docker inspect's documentation and scripts, on a
// container as dockerapi gives it.
func TestInspectTemplatesOnDockerTypes(t *testing.T) {
	info := testContainerInfo()
	obj := dockerapi.LegacyInspect(dockerapi.ContainerInspect(info))
	for format, want := range map[string]string{
		`{{.State.Running}} {{.State.Status}} {{.State.Pid}}`: "true running 42",
		`{{.Id}}`:                      info.ID,
		`{{.Name}}`:                    "/web",
		`{{.Config.Image}} {{.Image}}`: "busybox sha256:1",
		`{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}`:       "172.17.0.2",
		`{{.NetworkSettings.IPAddress}}`:                                 "172.17.0.2",
		`{{.NetworkSettings.Networks.bridge.MacAddress}}`:                "02:42:ac:11:00:02",
		`{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}`: "8080",
		`{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} {{end}}`:    "80/tcp ",
		`{{json .Config.Env}}`:                                           `["A=1"]`,
		`{{.Config.Cmd}}`:                                                "[sh -c echo && echo]",
		`{{json .Config.Cmd}}`:                                           `["sh","-c","echo && echo"]`,
		`{{.HostConfig.NetworkMode}} {{.HostConfig.RestartPolicy.Name}}`: "bridge no",
		`{{.RestartCount}} {{.Driver}} {{.Platform}}`:                    "0 overlay2 linux",
		`{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}`:            "volume:/data ",
		`{{index .Config.Labels "com.example"}}`:                         "x",
		`{{.Config.ExposedPorts}}`:                                       "map[80/tcp:{}]",
		`{{.NetworkSettings.Ports}}`:                                     "map[80/tcp:[{0.0.0.0 8080}]]",
		`{{.State.StartedAt}}`:                                           "2024-01-02T03:04:05Z",
	} {
		var out bytes.Buffer
		in, err := newInspector(&out, format)
		require.NoError(t, err)
		require.NoError(t, in.add(obj), format)
		require.NoError(t, in.flush())
		assert.Equal(t, want+"\n", out.String(), format)
	}
}

type row struct {
	Driver string
	Name   string
	labels map[string]string
}

func (r *row) Label(name string) string { return r.labels[name] }

func TestListFormat(t *testing.T) {
	header := listHeader{"Driver": "DRIVER", "Name": "VOLUME NAME"}
	rows := []any{&row{"local", "v1", map[string]string{"com.example.some-key": "a"}}, &row{"local", "longer-name", nil}}
	const def = "table {{.Driver}}\t{{.Name}}"
	for format, want := range map[string]string{
		"":      "DRIVER    VOLUME NAME\nlocal     v1\nlocal     longer-name\n",
		"table": "DRIVER    VOLUME NAME\nlocal     v1\nlocal     longer-name\n",
		`table {{.Name}}\t{{.Label "com.example.some-key"}}`: "VOLUME NAME   some key\nv1            a\nlonger-name   \n",
		`table {{upper .Name}}|{{json .Name}}|{{truncate .Name 2}}|{{pad .Name 1 1}}`: "VOLUME NAME|VOLUME NAME|VOLUME NAME| VOLUME NAME \n" +
			`V1|"v1"|v1| v1 ` + "\nLONGER-NAME|\"longer-name\"|lo| longer-name \n",
		`{{.Name}}\t{{.Driver}}`: "v1\tlocal\nlonger-name\tlocal\n",
		"json":                   `{"Driver":"local","Name":"v1"}` + "\n" + `{"Driver":"local","Name":"longer-name"}` + "\n",
		`{{println .Name}}`:      "v1\n\nlonger-name\n\n",
	} {
		f, err := parseListFormat(format, def)
		require.NoError(t, err, format)
		var out bytes.Buffer
		require.NoError(t, f.write(&out, header, rows), format)
		assert.Equal(t, want, out.String(), format)
	}
	f, err := parseListFormat("table", def)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, f.write(&out, header, nil))
	assert.Equal(t, "DRIVER    VOLUME NAME\n", out.String(), "a table of nothing has its header")

	_, err = parseListFormat("{{", def)
	assert.EqualError(t, err, "template parsing error: template: :1: unclosed action")
	f, err = parseListFormat("{{.Nope}}", def)
	require.NoError(t, err)
	err = f.write(&out, header, rows)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), `template parsing error: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type *main.row`), err.Error())
}

func TestWriteTemplate(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, writeTemplate(&out, "", "{{.a}}", map[string]int{"a": 1}))
	require.NoError(t, writeTemplate(&out, "", "json", map[string]int{"a": 1}))
	assert.Equal(t, "1\n{\"a\":1}\n", out.String())
	err := writeTemplate(&out, "version", "{{", nil)
	var st *statusError
	require.True(t, errors.As(err, &st))
	assert.Equal(t, 64, st.code)
}

// testContainerInfo is a container running on the default bridge with a
// published port and a volume, as Inspect reports it.
func testContainerInfo() *dock.Info {
	return &dock.Info{
		ID: strings.Repeat("c", 64), Name: "web", ImageID: "sha256:1", Args: []string{"sh", "-c", "echo && echo"},
		Config: dock.Config{Image: "busybox", Network: "bridge", Ports: []dock.PortMapping{{HostPort: 8080, ContainerPort: 80}}},
		State:  dock.State{Status: dock.StatusRunning, Pid: 42, StartedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		Mounts: []dock.MountPoint{{Type: "volume", Name: "data", Target: "/data"}},
		Networks: []dock.EndpointInfo{{Network: "bridge", NetworkID: dock.PredefinedNetworkID("bridge"),
			IPv4: netip.MustParsePrefix("172.17.0.2/16"), Gateway: netip.MustParseAddr("172.17.0.1"), MacAddress: "02:42:ac:11:00:02"}},
		Ports:    []dock.PortMapping{{HostPort: 8080, ContainerPort: 80}},
		Storage:  dock.StorageInfo{Driver: "overlay2"},
		Resolved: dock.ResolvedConfig{Cmd: []string{"sh", "-c", "echo && echo"}, Env: []string{"A=1"}, Labels: map[string]string{"com.example": "x"}},
	}
}
