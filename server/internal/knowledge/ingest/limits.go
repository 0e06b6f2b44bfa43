package ingest

// Limits bound what reading one file may cost, whatever the file claims
// about itself. Zero fields take the DefaultLimits value.
type Limits struct {
	// MaxPages is the most pages a PDF may really hold (its page tree is
	// counted, its declared count is not believed).
	MaxPages int
	// MaxPageChars is the most characters of text one page may draw.
	MaxPageChars int
	// MaxChars is the most characters of text one document may hold.
	MaxChars int
	// MaxEntries is the most entries of a question/answer list (each is
	// embedded and indexed: a list of tiny entries would cost far more
	// than its characters say).
	MaxEntries int
	// MaxBlocks is the most headings, paragraphs and list items a document
	// may hold: each heading starts a chunk the server embeds, indexes and
	// stores, so a file of tiny sections costs far more than its characters
	// say.
	MaxBlocks int
	// MaxStreamBytes is the most bytes one page's content (or one font's
	// character map) may inflate to.
	MaxStreamBytes int64
	// MaxTotalStreamBytes is the most bytes all of a document's streams
	// together may inflate to.
	MaxTotalStreamBytes int64
}

// MaxEntryBytes is the longest question, and the longest answer, of one
// question/answer entry: what the API lets a caller write into an entry
// (CreateEntryRequest), so an entry from a file is no larger than one made
// by hand.
const MaxEntryBytes = 32 << 10

// DefaultLimits are generous for real documents (a 10,000-page manual, a
// page of small print) and small enough that a hostile file costs seconds
// and a few hundred megabytes at most.
func DefaultLimits() Limits {
	return Limits{
		MaxPages:            10_000,
		MaxPageChars:        100_000,
		MaxChars:            16_000_000,
		MaxEntries:          20_000,
		MaxBlocks:           100_000,
		MaxStreamBytes:      16 << 20,
		MaxTotalStreamBytes: 256 << 20,
	}
}

// WithDefaults is l with its zero fields set to the DefaultLimits values.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.MaxPages <= 0 {
		l.MaxPages = d.MaxPages
	}
	if l.MaxPageChars <= 0 {
		l.MaxPageChars = d.MaxPageChars
	}
	if l.MaxChars <= 0 {
		l.MaxChars = d.MaxChars
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxBlocks <= 0 {
		l.MaxBlocks = d.MaxBlocks
	}
	if l.MaxStreamBytes <= 0 {
		l.MaxStreamBytes = d.MaxStreamBytes
	}
	if l.MaxTotalStreamBytes <= 0 {
		l.MaxTotalStreamBytes = d.MaxTotalStreamBytes
	}
	return l
}
