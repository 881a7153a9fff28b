package dock

import (
	"math/rand/v2"
	"os"
	"strconv"
)

// Containers created without a name get one as Docker gives it: a mood
// and a notable scientist or hacker, "adjective_surname". The lists are
// dock's own; the way names are drawn is Docker's (see randomName).

// nameAdjectives are the first half of a random container name.
var nameAdjectives = [...]string{
	"able", "agile", "amiable", "amused", "ardent", "astute", "awake",
	"bold", "boring", "brave", "breezy", "bright", "brisk", "bubbly",
	"busy", "calm", "candid", "careful", "charming", "cheerful", "clever",
	"cosmic", "crafty", "curious", "daring", "dazzling", "deft",
	"devoted", "diligent", "dreamy", "eager", "earnest", "elated",
	"elegant", "epic", "fearless", "festive", "fierce", "fond", "frank",
	"friendly", "gallant", "gentle", "giddy", "gifted", "glad",
	"gleeful", "graceful", "gritty", "happy", "hardy", "hearty",
	"helpful", "honest", "hopeful", "humble", "jolly", "jovial",
	"joyful", "keen", "kind", "lively", "loyal", "lucid", "lucky",
	"mellow", "merry", "mighty", "modest", "nimble", "noble", "patient",
	"peaceful", "placid", "playful", "plucky", "polite", "proud",
	"quick", "quiet", "quirky", "radiant", "rapid", "ready", "relaxed",
	"resolute", "rugged", "serene", "sharp", "shiny", "sincere", "smart",
	"snappy", "spry", "steady", "sturdy", "sunny", "swift", "tender",
	"thrifty", "tidy", "tranquil", "trusty", "upbeat", "valiant",
	"vibrant", "vivid", "warm", "wise", "witty", "zany", "zealous",
}

// nameSurnames are the second half: scientists, mathematicians,
// engineers and hackers.
var nameSurnames = [...]string{
	"abel", "adleman", "agnesi", "aiken", "allen", "ampere", "archimedes",
	"atanasoff", "babbage", "backus", "bardeen", "bartik", "becquerel",
	"bellard", "bernoulli", "bernstein", "blackwell", "bohr", "boltzmann",
	"boole", "borg", "bose", "brattain", "burnell", "cannon", "cantor",
	"carnot", "carson", "cauchy", "cerf", "chadwick", "chandrasekhar",
	"chaum", "chebyshev", "church", "codd", "conway", "copernicus",
	"coulomb", "curie", "darwin", "dedekind", "diffie", "dijkstra",
	"dirac", "driscoll", "eckert", "eich", "einstein", "elion",
	"engelbart", "estrin", "euclid", "euler", "faraday", "fermi",
	"feynman", "fibonacci", "fleming", "flowers", "fourier", "franklin",
	"friedman", "galileo", "galois", "gauss", "germain", "gibbs",
	"godel", "goldberg", "goldwasser", "goodall", "gosling", "hamilton",
	"hamming", "heisenberg", "hejlsberg", "hellman", "herschel",
	"hilbert", "hodgkin", "hoare", "holberton", "hopper", "hubble",
	"huffman", "hypatia", "jackson", "jennings", "jenner", "johnson",
	"joliot", "joule", "kahn", "kalam", "kay", "keller", "kelvin",
	"kepler", "kernighan", "kilburn", "kilby", "klein", "knuth",
	"kolmogorov", "kovalevskaya", "lagrange", "lamarr", "lamport",
	"laplace", "lattner", "leavitt", "leibniz", "liskov", "lorentz",
	"lovelace", "markov", "matsumoto", "mauchly", "maxwell", "mccarthy",
	"mcclintock", "mckusick", "meitner", "mendel", "merkle", "metcalfe",
	"micali", "minkowski", "minsky", "mirzakhani", "napier", "naur",
	"neumann", "newton", "nightingale", "noether", "noyce", "ohm",
	"pascal", "pasteur", "pauli", "payne", "perlman", "pike", "planck",
	"poincare", "postel", "raman", "ramanujan", "rejewski", "riemann",
	"ritchie", "rivest", "rossum", "rubin", "rutherford", "sagan",
	"saha", "salam", "sammet", "shamir", "shannon", "somerville",
	"stallman", "stroustrup", "sutherland", "tanenbaum", "tesla",
	"thompson", "torvalds", "turing", "tutte", "vaughan", "volta",
	"wall", "weierstrass", "welchman", "wilkes", "wing", "wirth",
	"wozniak", "wu", "yalow", "yonath", "zuse",
}

// randomName draws a name. As Docker's generator: "boring_wozniak" is
// drawn again (Steve Wozniak is not boring), and a retry (the name drawn
// before was taken) gets a digit appended.
func randomName(retry int) string {
	for {
		name := nameAdjectives[rand.IntN(len(nameAdjectives))] + "_" + nameSurnames[rand.IntN(len(nameSurnames))]
		if name == "boring_wozniak" {
			continue
		}
		if retry > 0 {
			name += strconv.Itoa(rand.IntN(10))
		}
		return name
	}
}

// nameForContainer returns a free random name for the container id, as
// Docker picks one: up to six draws, then the short ID. It runs under the
// engine's lock, so that no other create takes the name meanwhile.
func (e *Engine) nameForContainer(id string) (string, error) {
	taken, err := e.containerNames()
	if err != nil {
		return "", err
	}
	return pickName(id, taken, randomName), nil
}

// pickName draws up to six names, then falls back on the short ID.
func pickName(id string, taken map[string]bool, draw func(retry int) string) string {
	for retry := range 6 {
		if name := draw(retry); !taken[name] {
			return name
		}
	}
	return id[:12]
}

// containerNames returns the names of the containers in the state
// directory.
func (e *Engine) containerNames() (map[string]bool, error) {
	names := map[string]bool{}
	err := e.eachContainerName(func(_, name string) bool {
		if name != "" {
			names[name] = true
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// eachContainerName calls fn with the ID and the name of each container
// whose name can be read, until fn returns false. The names come from
// what Containers keeps where it holds them (a stat of each directory),
// else from the containers' files.
func (e *Engine) eachContainerName(fn func(id, name string) bool) error {
	dir, err := os.Open(e.path("containers"))
	if err != nil {
		return err
	}
	defer dir.Close()
	entries, err := dir.ReadDir(-1)
	if err != nil {
		return err
	}
	for _, ent := range entries {
		c := &Container{e: e, id: ent.Name(), files: dir}
		name, ok := e.containers.name(dir, c.id)
		if !ok {
			if name, err = c.name(); err != nil {
				continue // removed meanwhile, or unreadable: no name
			}
		}
		if !fn(c.id, name) {
			break
		}
	}
	return nil
}
