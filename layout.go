package dock

// initLayout is replaced by the image store (internal/store) once wired.
func (e *Engine) initLayout() error { return nil }
