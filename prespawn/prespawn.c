//go:build linux && cgo

// The request that the init's constructor (internal/nsinit/prespawn.c)
// looks for.
const int dock_prespawn_wanted = 1;
