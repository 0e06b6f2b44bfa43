package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of relevoctl",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionText())
			return err
		},
	}
}

// versionText describes the build from the information the Go toolchain
// embeds: module version, VCS revision and Go version.
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "relevoctl (unknown version)"
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var rev, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	text := "relevoctl " + version
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		text += " " + rev
		if modified {
			text += "-dirty"
		}
		if when != "" {
			text += " " + when
		}
	}
	return text + " " + info.GoVersion
}
