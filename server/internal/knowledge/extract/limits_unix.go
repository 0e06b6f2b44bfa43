//go:build unix

package extract

import (
	"bytes"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
)

// limitSelf sets the child's CPU-time and address-space limits. At the
// soft CPU limit the kernel sends SIGXCPU, which the child answers by
// exiting with exitCPU; a second later the hard limit kills it.
func limitSelf(cpuSeconds, memory int64) error {
	if cpuSeconds > 0 {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGXCPU)
		go func() {
			<-c
			os.Exit(exitCPU)
		}()
		if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: uint64(cpuSeconds), Max: uint64(cpuSeconds) + 1}); err != nil {
			return err
		}
	}
	if memory > 0 {
		// The Go runtime reserves address space it has not used (over a
		// gigabyte before the first allocation): the budget comes on top
		// of what is reserved now. The collector works harder well before
		// the budget runs out.
		debug.SetMemoryLimit(memory / 2)
		limit := uint64(memory) + reserved()
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
			return err
		}
	}
	return nil
}

// reserved is the process's address space now, from /proc (0 elsewhere).
func reserved() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		return 0
	}
	pages, err := strconv.ParseUint(string(f[0]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}
