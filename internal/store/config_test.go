package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fullOCIConfig has every field of ocispec.Image set.
func fullOCIConfig() ocispec.Image {
	created := time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC)
	return ocispec.Image{
		Created: &created,
		Author:  "a",
		Platform: ocispec.Platform{Architecture: "arm", OS: "linux", OSVersion: "1",
			OSFeatures: []string{"f"}, Variant: "v7"},
		Config: ocispec.ImageConfig{
			User: "u", ExposedPorts: map[string]struct{}{"80/tcp": {}}, Env: []string{"A=1"},
			Entrypoint: []string{"e"}, Cmd: []string{"c"}, Volumes: map[string]struct{}{"/v": {}},
			WorkingDir: "/w", Labels: map[string]string{"k": "v"}, StopSignal: "SIGINT", ArgsEscaped: true,
		},
		RootFS:  ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromString("x")}},
		History: []ocispec.History{{Created: &created, CreatedBy: "x", EmptyLayer: true}},
	}
}

// The IDs of images without extensions must not change: their config
// marshals to the bytes ocispec.Image gives, for a full config and an
// empty one.
func TestConfigMarshalLikeOCI(t *testing.T) {
	for _, img := range []ocispec.Image{fullOCIConfig(), {}} {
		want, err := json.Marshal(img)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(fromOCI(img))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("json.Marshal(fromOCI(x)) =\n%s\nwant\n%s", got, want)
		}
		var back Config
		if err := json.Unmarshal(want, &back); err != nil {
			t.Fatal(err)
		}
		if o := back.oci(); !reflect.DeepEqual(jsonOf(t, o), jsonOf(t, img)) {
			t.Errorf("Unmarshal(x).oci() = %s, want %s", jsonOf(t, o), jsonOf(t, img))
		}
	}
}

// Config mirrors ocispec.Image field by field (but for the runtime
// config); a new image-spec version that adds a field must fail here, not
// silently drop it.
func TestConfigMirrorsOCIImage(t *testing.T) {
	oci, mine := reflect.TypeFor[ocispec.Image](), reflect.TypeFor[Config]()
	if oci.NumField() != mine.NumField() {
		t.Fatalf("ocispec.Image has %d fields, Config %d", oci.NumField(), mine.NumField())
	}
	for i := range oci.NumField() {
		o, m := oci.Field(i), mine.Field(i)
		if o.Name != m.Name || o.Tag != m.Tag || o.Anonymous != m.Anonymous {
			t.Errorf("field %d: ocispec.Image %s %q, Config %s %q", i, o.Name, o.Tag, m.Name, m.Tag)
		}
		if o.Name != "Config" && o.Type != m.Type {
			t.Errorf("field %s: ocispec.Image %v, Config %v", o.Name, o.Type, m.Type)
		}
	}
}

// The extensions marshal as Docker writes them: in "config", after the
// OCI fields, with Docker's names and durations in nanoseconds; and they
// survive a round trip.
func TestConfigDockerExtensions(t *testing.T) {
	c := fromOCI(ocispec.Image{Platform: ocispec.Platform{Architecture: "amd64", OS: "linux"}})
	c.Config.Cmd = []string{"c"}
	c.Config.Healthcheck = &Healthcheck{Test: []string{"CMD-SHELL", "true"}, Interval: 30 * time.Second,
		Timeout: 3 * time.Second, StartPeriod: 5 * time.Second, StartInterval: time.Second, Retries: 2}
	c.Config.OnBuild = []string{"RUN x"}
	c.Config.Shell = []string{"/bin/bash", "-c"}
	got, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"architecture":"amd64","os":"linux","config":{"Cmd":["c"],` +
		`"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":30000000000,"Timeout":3000000000,` +
		`"StartPeriod":5000000000,"StartInterval":1000000000,"Retries":2},` +
		`"OnBuild":["RUN x"],"Shell":["/bin/bash","-c"]},"rootfs":{"type":"","diff_ids":null}}`
	if string(got) != want {
		t.Fatalf("json.Marshal = %s\nwant %s", got, want)
	}
	var back Config
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip = %+v, want %+v", back, c)
	}
	clone := c.Clone()
	clone.Config.Healthcheck.Test[1] = "false"
	clone.Config.OnBuild[0] = "changed"
	clone.Config.Shell[0] = "changed"
	if c.Config.Healthcheck.Test[1] != "true" || c.Config.OnBuild[0] != "RUN x" || c.Config.Shell[0] != "/bin/bash" {
		t.Errorf("Clone shares the extensions with the original: %+v", c.Config)
	}
}

// fromOCI makes a Config of an OCI config (no extensions).
func fromOCI(img ocispec.Image) Config {
	return Config{
		Created:  img.Created,
		Author:   img.Author,
		Platform: img.Platform,
		Config:   RuntimeConfig{ImageConfig: img.Config},
		RootFS:   img.RootFS,
		History:  img.History,
	}
}

// oci returns the OCI part of c, without the extensions.
func (c *Config) oci() ocispec.Image {
	return ocispec.Image{
		Created:  c.Created,
		Author:   c.Author,
		Platform: c.Platform,
		Config:   c.Config.ImageConfig,
		RootFS:   c.RootFS,
		History:  c.History,
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
