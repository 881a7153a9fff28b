package dock

import "os"

// readFile reads a file of the container's directory: relative to the
// open containers directory in the handles Containers makes (a shorter
// walk for the kernel, and fewer system calls: see readFileAt), else by
// its path.
func (c *Container) readFile(name string) ([]byte, error) {
	if c.files != nil {
		return readFileAt(c.files, c.id+"/"+name)
	}
	return os.ReadFile(c.dir(name))
}
