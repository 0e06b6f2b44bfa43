package api

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/relevo/relevo/proto/relevo/v1"
)

// requestFields lists every string, bytes, repeated and map field a caller
// can send: the fields of every RPC's request, transitively.
func requestFields(t *testing.T) []protoreflect.FieldDescriptor {
	t.Helper()
	var out []protoreflect.FieldDescriptor
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] || md.ParentFile().Package() != "relevo.v1" {
			return
		}
		seen[md.FullName()] = true
		for i := range md.Fields().Len() {
			f := md.Fields().Get(i)
			if f.IsList() || f.IsMap() || f.Kind() == protoreflect.StringKind || f.Kind() == protoreflect.BytesKind {
				out = append(out, f)
			}
			if f.Message() != nil {
				walk(f.Message())
			}
		}
	}
	protoregistry.GlobalFiles.RangeFilesByPackage("relevo.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			s := fd.Services().Get(i)
			for j := range s.Methods().Len() {
				walk(s.Methods().Get(j).Input())
			}
		}
		return true
	})
	if len(out) == 0 {
		t.Fatal("no request fields found")
	}
	return out
}

func TestEveryRequestFieldHasABound(t *testing.T) {
	t.Parallel()
	for _, f := range requestFields(t) {
		if f.IsList() || f.IsMap() {
			continue // maxRepeated for all of them
		}
		if _, ok := bounds[f.FullName()]; !ok {
			t.Errorf("%s has no bound: add it to bounds and state it in the field's comment", f.FullName())
		}
	}
}

var (
	protoMessage = regexp.MustCompile(`^message (\w+) \{`)
	protoField   = regexp.MustCompile(`^\s*(?:optional |repeated )?[\w.<>, ]+ (\w+) = \d+;`)
)

// TestTheContractStatesEveryBound reads proto/relevo/v1: the comment of
// every bounded field says "At most <bound>", as the guard enforces it.
func TestTheContractStatesEveryBound(t *testing.T) {
	t.Parallel()
	comments := map[protoreflect.FullName]string{}
	files, err := filepath.Glob("../../../proto/relevo/v1/*.proto")
	if err != nil || len(files) == 0 {
		t.Fatalf("proto files: %v %v", files, err)
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		var msg string
		var comment []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			trimmed := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(trimmed, "//"):
				comment = append(comment, strings.TrimSpace(strings.TrimPrefix(trimmed, "//")))
				continue
			case protoMessage.MatchString(line):
				msg = protoMessage.FindStringSubmatch(line)[1]
			case msg != "" && protoField.MatchString(line):
				field := protoField.FindStringSubmatch(line)[1]
				comments[protoreflect.FullName("relevo.v1."+msg+"."+field)] = strings.Join(comment, " ")
			case line == "}":
				msg = ""
			}
			comment = nil
		}
		f.Close()
	}
	for name, n := range bounds {
		c, ok := comments[name]
		if !ok {
			t.Errorf("%s: bounded but not found in proto/relevo/v1", name)
			continue
		}
		if want := "At most " + sizeText(n); !strings.Contains(c, want) {
			t.Errorf("%s: comment %q does not say %q", name, c, want)
		}
	}
}
