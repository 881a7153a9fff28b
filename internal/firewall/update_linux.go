package firewall

import (
	"fmt"

	"github.com/google/nftables"
)

// updateImpl changes the port maps of the table in place, from old's
// elements to p's (diff), in one batch.
func updateImpl(d diff) error {
	return replace("inet "+tableName, func(c *nftables.Conn) error {
		t := &nftables.Table{Family: nftables.TableFamilyINet, Name: tableName}
		for _, def := range setDefs {
			ch, ok := d[def.name]
			if !ok {
				continue
			}
			s := def.set(t, 0)
			if len(ch.del) > 0 {
				if err := c.SetDeleteElements(s, toSetElements(ch.del)); err != nil {
					return fmt.Errorf("delete elements of %s: %w", def.name, err)
				}
			}
			if err := addElements(c, s, ch.add); err != nil {
				return err
			}
		}
		return nil
	})
}

func toSetElements(els []element) []nftables.SetElement {
	out := make([]nftables.SetElement, len(els))
	for i, e := range els {
		out[i] = nftables.SetElement{Key: e.key, KeyEnd: e.keyEnd, Val: e.val, IntervalEnd: e.intervalEnd}
	}
	return out
}
