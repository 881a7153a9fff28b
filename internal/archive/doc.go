// Package archive unpacks image layers from tar streams and writes
// directories as tar streams, safely and without buffering whole files.
//
// An image layer is unpacked once into its own empty directory, which then
// serves as an overlayfs lower directory:
//
//	f, err := os.Open(layerTar) // uncompressed; wrap a gzip reader as needed
//	...
//	dir := filepath.Join(root, "layers", chainID, "diff")
//	if err := os.MkdirAll(dir, 0o700); err != nil { ... }
//	st, err := archive.Apply(ctx, dir, f, archive.Options{})
//	if err != nil {
//		os.RemoveAll(dir) // Apply leaves a partly written dir behind
//		return err
//	}
//	log.Printf("%d entries, %d bytes", st.Files, st.Bytes)
//
// The bytes of a layer come from a registry and are not trusted. Apply
// resolves every name inside the target directory (as if it were "/"),
// refuses names that climb out of it, hardlinks to files it did not write,
// device nodes and malformed whiteouts (ErrUnsafe), drops privileged
// extended attributes such as security.capability and trusted.overlay.*,
// and stops at limits on entries and bytes (ErrLimit). OCI whiteouts are
// turned into their overlayfs form: ".wh.NAME" becomes a 0/0 character
// device and ".wh..wh..opq" the trusted.overlay.opaque xattr. To apply a
// layer onto a plain directory holding the layers below it instead, set
// Options.PlainWhiteouts.
//
// WriteDir is the inverse for a plain directory: a deterministic tar stream
// of the tree, as "docker import" of a directory needs.
//
// Both need Linux; elsewhere they return an error wrapping
// errors.ErrUnsupported. Apply needs root unless Options.IgnoreOwner is set,
// and converting whiteouts to overlayfs form always needs root
// (trusted.* xattrs). All functions are safe for concurrent use.
package archive
