package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffyaml"
	"github.com/relevo/relevo/server/internal/knowledge/ingest"
)

// Config is every setting of the server. Each one is a flag, an environment
// variable RELEVO_<FLAG_NAME> (dashes become underscores) and a key of the
// optional YAML file given with --config; flags win over the environment,
// which wins over the file.
type Config struct {
	GRPCListen string
	HTTPListen string
	Database   string
	Profile    string
	SampleKB   bool
	APIKeys    []string
	// APIKeysFile holds more key specs, one a line ('#' starts a comment).
	APIKeysFile string
	// APIKeysOnCommandLine is set when --api-keys came as an argument,
	// where every user of the host can read it in the process list.
	APIKeysOnCommandLine bool
	// MetricsListen serves /metrics on its own address instead of the REST
	// listener; MetricsPublic serves it without a key.
	MetricsListen string
	MetricsPublic bool

	Workers             int
	RunCPUSlots         int
	Lease               time.Duration
	ReadReceiptChannels []string
	HistoryMessages     int
	// ServiceWindows is each channel's customer-service window.
	ServiceWindows map[string]time.Duration
	// ClockOffsetFile (tests only) runs the server's clock ahead by the
	// duration in the file.
	ClockOffsetFile string

	OutboxAckTimeout  time.Duration
	OutboxMaxAttempts int
	OutboxBackoffBase time.Duration
	OutboxBackoffMax  time.Duration

	OpenAIBaseURL       string
	OpenAIAPIKey        string
	EmbeddingModel      string
	EmbeddingDimensions int
	TranscriptionModel  string

	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration

	// Reading uploaded files: the child process's limits and what a file
	// may hold.
	ExtractTimeout       time.Duration
	ExtractCPU           time.Duration
	ExtractMemoryMiB     int
	ExtractConcurrency   int
	ExtractMaxPages      int
	ExtractMaxPageChars  int
	ExtractMaxChars      int
	ExtractMaxEntries    int
	ExtractMaxBlocks     int
	ExtractMaxInflateMiB int
}

// ErrHelp is returned by ParseConfig when --help was asked for; the usage
// has been printed.
var ErrHelp = flag.ErrHelp

// ParseConfig reads the settings from args and the environment. Invalid
// settings are errors naming the setting.
func ParseConfig(args []string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("relevo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.GRPCListen, "grpc-listen", "127.0.0.1:50051", "gRPC listen address")
	fs.StringVar(&c.HTTPListen, "http-listen", "127.0.0.1:8080", "REST gateway, OpenAPI, /metrics and /healthz listen address (empty: off)")
	fs.StringVar(&c.Database, "database", "./data/relevo.db", "SQLite file path, or a postgres:// URL")
	fs.StringVar(&c.Profile, "profile", "", "company profile YAML (agents, texts, thresholds); empty: the embedded C1DO1 sample")
	fs.BoolVar(&c.SampleKB, "sample-kb", true, "load the sample knowledge base when the knowledge base is empty")
	keys := fs.String("api-keys", "", "comma-separated role:key pairs (roles: admin, adapter, desk, metrics; adapter:KEY:whatsapp binds an adapter key to channels); prefer RELEVO_API_KEYS or --api-keys-file: arguments show in the process list")
	fs.StringVar(&c.APIKeysFile, "api-keys-file", "", "file of API keys, one role:key a line ('#' comments); added to --api-keys")
	fs.StringVar(&c.MetricsListen, "metrics-listen", "", "serve /metrics on this address instead of the REST listener")
	fs.BoolVar(&c.MetricsPublic, "metrics-public", false, "serve /metrics without a key (for a private metrics address); otherwise it needs a metrics or admin key when keys are set")
	fs.IntVar(&c.Workers, "workers", 256, "conversations processed at once")
	fs.IntVar(&c.RunCPUSlots, "run-cpu-slots", 0, "runs computing at once (a run waiting for a model holds none); 0 leaves one core to accepting and delivering, -1 sets no bound")
	fs.DurationVar(&c.Lease, "lease", 2*time.Minute, "claim lease on a conversation; another replica takes over after it")
	rr := fs.String("read-receipt-channels", "whatsapp", "channels whose adapters mark messages read and show typing while the bot works")
	fs.IntVar(&c.HistoryMessages, "history-messages", 20, "earlier messages given to the agents as context")
	windows := fs.String("service-windows", "whatsapp=24h", "channel=duration pairs: replies are free-form until this long after the customer's last message, then wait for the customer (the profile's window template goes instead); channels not listed have no window")
	fs.StringVar(&c.ClockOffsetFile, "test-clock-offset-file", "", "testing only: run the server's clock ahead by the duration written in this file (e.g. 25h)")
	fs.DurationVar(&c.OutboxAckTimeout, "outbox-ack-timeout", 2*time.Minute, "re-offer an outbound message not acked within this time")
	fs.IntVar(&c.OutboxMaxAttempts, "outbox-max-attempts", 8, "delivery attempts before a retryable failure becomes permanent")
	fs.DurationVar(&c.OutboxBackoffBase, "outbox-backoff-base", 2*time.Second, "first retry delay (doubles per attempt, with jitter)")
	fs.DurationVar(&c.OutboxBackoffMax, "outbox-backoff-max", 10*time.Minute, "longest retry delay")
	fs.StringVar(&c.OpenAIBaseURL, "openai-base-url", "", "OpenAI-compatible API base URL for embeddings and transcription (empty: api.openai.com)")
	fs.StringVar(&c.OpenAIAPIKey, "openai-api-key", "", "API key for embeddings and transcription (the profile's llm.api_key_env is used for chat)")
	fs.StringVar(&c.EmbeddingModel, "embedding-model", "", "OpenAI-compatible embedding model; empty: the local deterministic embedder")
	fs.IntVar(&c.EmbeddingDimensions, "embedding-dimensions", 0, "embedding dimensions to request (0: the model's default)")
	fs.StringVar(&c.TranscriptionModel, "transcription-model", "", "OpenAI-compatible transcription model for voice notes (e.g. whisper-1); empty: voice notes get a polite reply")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "time given to in-flight work on SIGINT/SIGTERM")
	fs.DurationVar(&c.ExtractTimeout, "extract-timeout", 20*time.Second, "wall-clock time reading one uploaded file may take")
	fs.DurationVar(&c.ExtractCPU, "extract-cpu", 15*time.Second, "CPU time reading one uploaded file may use (whole seconds)")
	fs.IntVar(&c.ExtractMemoryMiB, "extract-memory", 1024, "memory (MiB of address space beyond the runtime's own) reading one uploaded file may use")
	fs.IntVar(&c.ExtractConcurrency, "extract-concurrency", 2, "uploaded files read at once; more uploads wait")
	fs.IntVar(&c.ExtractMaxPages, "extract-max-pages", 10000, "most pages of an uploaded PDF")
	fs.IntVar(&c.ExtractMaxPageChars, "extract-max-page-chars", 100000, "most characters of text on one PDF page")
	fs.IntVar(&c.ExtractMaxChars, "extract-max-chars", 16000000, "most characters of text in one uploaded file")
	fs.IntVar(&c.ExtractMaxEntries, "extract-max-entries", 20000, "most questions in one uploaded Q&A file")
	fs.IntVar(&c.ExtractMaxBlocks, "extract-max-blocks", 100000, "most headings, paragraphs and list items in one uploaded document")
	fs.IntVar(&c.ExtractMaxInflateMiB, "extract-max-inflate", 16, "MiB one PDF page's content may inflate to (a whole document: 16 times as much)")
	fs.String("config", "", "optional YAML file with any of these settings (keys are the flag names)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: relevo [flags]\n\n"+
			"Runs the Relevo server. Every flag can also be set with an environment variable\n"+
			"RELEVO_<FLAG> (upper case, dashes as underscores, e.g. RELEVO_API_KEYS) or in the\n"+
			"YAML file given with --config. Precedence: flags, then environment, then file.\n\n")
		fs.PrintDefaults()
	}

	err := ff.Parse(fs, args,
		ff.WithEnvVarPrefix("RELEVO"),
		ff.WithConfigFileFlag("config"),
		ff.WithConfigFileParser(ffyaml.Parser),
	)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, ErrHelp
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.APIKeys = splitList(*keys)
	c.APIKeysOnCommandLine = *keys != "" && flagInArgs(args, "api-keys")
	if c.APIKeysFile != "" {
		b, err := os.ReadFile(c.APIKeysFile)
		if err != nil {
			return c, fmt.Errorf("--api-keys-file: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				c.APIKeys = append(c.APIKeys, line)
			}
		}
	}
	c.ReadReceiptChannels = splitList(*rr)
	if c.ServiceWindows, err = parseWindows(*windows); err != nil {
		return c, fmt.Errorf("--service-windows: %w", err)
	}
	return c, c.validate()
}

// parseWindows reads channel=duration pairs.
func parseWindows(s string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, p := range splitList(s) {
		channel, d, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(channel) == "" {
			return nil, fmt.Errorf("%q is not channel=duration", p)
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("%q: the window must be a positive duration", p)
		}
		out[strings.TrimSpace(channel)] = dur
	}
	return out, nil
}

// flagInArgs reports whether the flag name was given among args.
func flagInArgs(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c Config) validate() error {
	if _, _, err := net.SplitHostPort(c.GRPCListen); err != nil {
		return fmt.Errorf("--grpc-listen: %w", err)
	}
	if c.HTTPListen != "" {
		if _, _, err := net.SplitHostPort(c.HTTPListen); err != nil {
			return fmt.Errorf("--http-listen: %w", err)
		}
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			return fmt.Errorf("--metrics-listen: %w", err)
		}
	}
	switch {
	case c.Database == "":
		return errors.New("--database: required")
	case c.Workers < 1 || c.Workers > 10000:
		return fmt.Errorf("--workers: %d is not between 1 and 10000", c.Workers)
	case c.RunCPUSlots < -1 || c.RunCPUSlots > 10000:
		return fmt.Errorf("--run-cpu-slots: %d is not -1 (no bound), 0 (one core left free) or a number of slots up to 10000", c.RunCPUSlots)
	case c.Lease < time.Second:
		return fmt.Errorf("--lease: %s is shorter than 1s", c.Lease)
	case c.OutboxMaxAttempts < 1:
		return fmt.Errorf("--outbox-max-attempts: %d is less than 1", c.OutboxMaxAttempts)
	case c.OutboxBackoffBase <= 0 || c.OutboxBackoffMax < c.OutboxBackoffBase:
		return errors.New("--outbox-backoff-base/--outbox-backoff-max: need 0 < base <= max")
	case c.OutboxAckTimeout < time.Second:
		return fmt.Errorf("--outbox-ack-timeout: %s is shorter than 1s", c.OutboxAckTimeout)
	case c.HistoryMessages < 0:
		return fmt.Errorf("--history-messages: %d is negative", c.HistoryMessages)
	case c.EmbeddingDimensions < 0:
		return fmt.Errorf("--embedding-dimensions: %d is negative", c.EmbeddingDimensions)
	case c.ExtractTimeout < time.Second:
		return fmt.Errorf("--extract-timeout: %s is shorter than 1s", c.ExtractTimeout)
	case c.ExtractCPU < time.Second:
		return fmt.Errorf("--extract-cpu: %s is shorter than 1s", c.ExtractCPU)
	case c.ExtractMemoryMiB < 64:
		return fmt.Errorf("--extract-memory: %d MiB is less than 64", c.ExtractMemoryMiB)
	case c.ExtractConcurrency < 1:
		return fmt.Errorf("--extract-concurrency: %d is less than 1", c.ExtractConcurrency)
	case c.ExtractMaxPages < 1:
		return fmt.Errorf("--extract-max-pages: %d is less than 1", c.ExtractMaxPages)
	case c.ExtractMaxPageChars < 1:
		return fmt.Errorf("--extract-max-page-chars: %d is less than 1", c.ExtractMaxPageChars)
	case c.ExtractMaxChars < 1:
		return fmt.Errorf("--extract-max-chars: %d is less than 1", c.ExtractMaxChars)
	case c.ExtractMaxEntries < 1:
		return fmt.Errorf("--extract-max-entries: %d is less than 1", c.ExtractMaxEntries)
	case c.ExtractMaxBlocks < 1:
		return fmt.Errorf("--extract-max-blocks: %d is less than 1", c.ExtractMaxBlocks)
	case c.ExtractMaxInflateMiB < 1:
		return fmt.Errorf("--extract-max-inflate: %d MiB is less than 1", c.ExtractMaxInflateMiB)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format: %q is not text or json", c.LogFormat)
	}
	if c.Profile != "" {
		if _, err := os.Stat(c.Profile); err != nil {
			return fmt.Errorf("--profile: %w", err)
		}
	}
	if len(c.APIKeys) == 0 {
		for name, addr := range map[string]string{"--grpc-listen": c.GRPCListen, "--http-listen": c.HTTPListen, "--metrics-listen": c.MetricsListen} {
			if addr != "" && !isLoopback(addr) {
				return fmt.Errorf("%s: refusing to listen on %s without API keys: set RELEVO_API_KEYS or --api-keys-file, or listen on 127.0.0.1", name, addr)
			}
		}
	}
	return nil
}

// isLoopback reports whether a listen address only accepts local
// connections. An empty host listens on every interface.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// extractLimits are the limits on what an uploaded file may hold.
func (c Config) extractLimits() ingest.Limits {
	return ingest.Limits{
		MaxPages:            c.ExtractMaxPages,
		MaxPageChars:        c.ExtractMaxPageChars,
		MaxChars:            c.ExtractMaxChars,
		MaxEntries:          c.ExtractMaxEntries,
		MaxBlocks:           c.ExtractMaxBlocks,
		MaxStreamBytes:      int64(c.ExtractMaxInflateMiB) << 20,
		MaxTotalStreamBytes: 16 * int64(c.ExtractMaxInflateMiB) << 20,
	}
}
