package main

import "runtime/debug"

// buildVersion is the module's version ("(devel)" when built from a
// checkout) and the VCS revision the binary was built from, short ("" when
// unknown).
func buildVersion() (version, revision string) {
	version = "(devel)"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version, ""
	}
	if bi.Main.Version != "" {
		version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value[:min(len(s.Value), 7)]
		}
	}
	return version, revision
}

// versionLine is what dock --version prints, as docker's "Docker version
// 27.0.3, build 7d4bcd8".
func versionLine() string {
	version, revision := buildVersion()
	if revision == "" {
		return "dock version " + version
	}
	return "dock version " + version + ", build " + revision
}
