// Package tctest drives dock's Engine API with testcontainers-go, the
// way Go integration tests start their databases: against dockd, and
// against dockerapi.Handler served in-process. It is a module of its own
// (testcontainers' dependencies stay out of the library's go.mod); make
// test runs it.
package tctest
