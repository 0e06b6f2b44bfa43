// Package settings reads an adapter's settings the way the server reads
// its own: flags, environment variables and an optional YAML file given
// with --config (keys are the flag names); flags win over the environment,
// which wins over the file. Invalid settings are errors naming the flag
// and its variable.
package settings

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffyaml"
)

// EnvName returns the usual variable of a flag: prefix, "_" and the flag
// in upper case with dashes as underscores (RELEVO_WHATSAPP and
// verify-token: RELEVO_WHATSAPP_VERIFY_TOKEN).
func EnvName(prefix, flagName string) string {
	return prefix + "_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Error is an invalid setting.
type Error struct {
	Flag    string // the flag's name, without dashes
	Var     string // its environment variable
	Problem string
}

func (e *Error) Error() string {
	return fmt.Sprintf("--%s (%s): %s", e.Flag, e.Var, e.Problem)
}

// Parse sets the flags of fs from the environment, then from args, then
// from the YAML file named by the flag "config" for what neither set.
// getenv reads the environment (os.Getenv in main) and env names a flag's
// variable. A value of the environment a flag cannot take is an *Error;
// so is a positional argument, which no adapter takes. opts are more of
// ff's options. On --help it returns flag.ErrHelp, the usage printed.
func Parse(fs *flag.FlagSet, args []string, getenv, env func(string) string, opts ...ff.Option) error {
	// The environment first, so that the arguments parsed next override it
	// and the file fills only what neither set: ff's precedence, with
	// variables that need not follow ff's naming, read through getenv
	// rather than from the process.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := env(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = errors.Join(envErr, &Error{Flag: f.Name, Var: name, Problem: fmt.Sprintf("cannot use %q: %s", v, want(f, err))})
		}
	})
	if envErr != nil {
		return envErr
	}
	opts = append([]ff.Option{ff.WithConfigFileFlag("config"), ff.WithConfigFileParser(ffyaml.Parser)}, opts...)
	if err := ff.Parse(fs, args, opts...); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// want says what a flag takes, where the flag package says only "parse
// error".
func want(f *flag.Flag, err error) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "want true or false"
	}
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case float64:
			return "want a number"
		case int, int64, uint, uint64:
			return "want a whole number"
		case time.Duration:
			return "want a duration such as 90s or 24h"
		}
	}
	return err.Error()
}

// Problems gathers the invalid settings that validation finds, to report
// them all at once.
type Problems struct {
	env  func(string) string
	errs []error
}

// NewProblems returns an empty list; env names a flag's variable.
func NewProblems(env func(flagName string) string) *Problems {
	return &Problems{env: env}
}

// Add records that the setting of flagName is invalid, saying why.
func (p *Problems) Add(flagName, format string, args ...any) {
	p.errs = append(p.errs, &Error{Flag: flagName, Var: p.env(flagName), Problem: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was added, else an error listing every
// problem, one a line.
func (p *Problems) Err() error {
	if err := errors.Join(p.errs...); err != nil {
		return fmt.Errorf("invalid settings:\n%w", err)
	}
	return nil
}
