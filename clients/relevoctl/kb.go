package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/relevo/relevo/clients/relevo"
	relevov1 "github.com/relevo/relevo/proto/relevo/v1"
)

// maxUploadBytes mirrors the server's limit on UploadDocumentRequest.content,
// so that a too-large file fails here without being sent.
const maxUploadBytes = 32 << 20

// samplePrefix starts the file names of the server's sample knowledge base
// (the server's sampledata.Prefix). API uploads cannot contain a "/", so a
// name in this namespace is always the demo, which the server removes when
// the first own document is uploaded.
const samplePrefix = "sample/"

// demoMark marks a sample document or entry in a listing.
func demoMark(name string) string {
	if strings.HasPrefix(name, samplePrefix) {
		return name + " (demo)"
	}
	return name
}

// mediaTypes are the file types the knowledge base ingests, by extension.
var mediaTypes = map[string]string{
	".pdf":      "application/pdf",
	".md":       "text/markdown",
	".markdown": "text/markdown",
	".txt":      "text/plain",
	".html":     "text/html",
	".htm":      "text/html",
	".json":     "application/json",
	".csv":      "text/csv",
}

func supportedExtensions() string {
	exts := make([]string, 0, len(mediaTypes))
	for e := range mediaTypes {
		exts = append(exts, e)
	}
	slices.Sort(exts)
	return strings.Join(exts, " ")
}

func newKBCmd(g *globals) *cobra.Command {
	cmd := groupCmd(&cobra.Command{
		Use:   "kb",
		Short: "Manage the knowledge base: documents, search and Q&A entries",
	})
	cmd.AddCommand(
		newKBUploadCmd(g),
		newKBListCmd(g),
		newKBDeleteCmd(g),
		newKBSearchCmd(g),
		newKBEntriesCmd(g),
	)
	return cmd
}

// uploadFile is one file to upload: where it is and the name it gets.
type uploadFile struct {
	path string
	name string // file name in the knowledge base (the base name)
	err  error  // why it cannot be uploaded, found before sending
}

func newKBUploadCmd(g *globals) *cobra.Command {
	var noProgress bool
	cmd := &cobra.Command{
		Use:   "upload FILE|DIR...",
		Short: "Upload documents; directories are walked recursively",
		Long: `upload sends each file to the knowledge base. A document with the same file
name is replaced; the same content again changes nothing. Directories are
walked recursively for supported files (` + supportedExtensions() + `);
other files and hidden files in them are skipped. Documents are keyed by file
name, so two files of the same name are refused rather than replacing each
other.

Each file prints new, replaced or unchanged with its chunk count. A refused
file is reported on stderr and the upload goes on; the command exits 1 at the
end if any file failed. With several files and a terminal on stderr, a
progress bar shows there. With -o json each uploaded file prints its
UploadDocumentResponse on one line.`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			files, skipped, err := collectUploads(args)
			if err != nil {
				return err
			}
			if skipped > 0 {
				fmt.Fprintf(stderr, "skipping %d file(s) of unsupported types (supported: %s)\n", skipped, supportedExtensions())
			}
			if len(files) == 0 {
				return fmt.Errorf("no supported files to upload")
			}
			c, err := g.dial(cmd)
			if err != nil {
				return err
			}
			defer c.Close()

			var bar *progressbar.ProgressBar
			if len(files) > 1 && !noProgress && isTerminal(stderr) {
				bar = progressbar.NewOptions(len(files),
					progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("uploading"),
					progressbar.OptionShowCount(),
					progressbar.OptionClearOnFinish(),
				)
			}
			failed := 0
			for _, f := range files {
				if bar != nil {
					bar.Describe(f.name)
					_ = bar.Clear() // keep the per-file lines clean
				}
				resp, err := g.uploadOne(cmd, c, f)
				if err != nil {
					failed++
					fmt.Fprintf(stderr, "failed     %s: %s\n", f.path, errorText(err))
				} else if err := printUpload(cmd.OutOrStdout(), g.json(), f, resp); err != nil {
					return err
				}
				if bar != nil {
					_ = bar.Add(1)
				}
			}
			if bar != nil {
				_ = bar.Finish()
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d file(s) failed", failed, len(files))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "never show the progress bar")
	return cmd
}

// collectUploads expands the arguments into files to upload. A file named
// explicitly with an unsupported type is an error of that file; in a
// directory it is skipped and counted.
func collectUploads(args []string) (files []uploadFile, skipped int, err error) {
	byName := map[string]string{}
	add := func(path string, explicit bool) {
		f := uploadFile{path: path, name: filepath.Base(path)}
		if _, ok := mediaTypes[strings.ToLower(filepath.Ext(path))]; !ok {
			if !explicit {
				skipped++
				return
			}
			f.err = fmt.Errorf("unsupported file type (supported: %s)", supportedExtensions())
		} else if first, dup := byName[f.name]; dup {
			f.err = fmt.Errorf("same file name as %s; documents are keyed by file name", first)
		} else {
			byName[f.name] = path
		}
		files = append(files, f)
	}
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			files = append(files, uploadFile{path: arg, name: filepath.Base(arg), err: err})
			continue
		}
		if !info.IsDir() {
			add(arg, true)
			continue
		}
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			hidden := strings.HasPrefix(d.Name(), ".") && path != arg
			switch {
			case d.IsDir() && hidden:
				return filepath.SkipDir
			case d.IsDir(), hidden, !d.Type().IsRegular():
				return nil
			}
			add(path, false)
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("walk %s: %w", arg, err)
		}
	}
	return files, skipped, nil
}

func (g *globals) uploadOne(cmd *cobra.Command, c *relevo.Client, f uploadFile) (*relevov1.UploadDocumentResponse, error) {
	if f.err != nil {
		return nil, f.err
	}
	info, err := os.Stat(f.path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxUploadBytes {
		return nil, fmt.Errorf("larger than %d MiB", maxUploadBytes>>20)
	}
	content, err := os.ReadFile(f.path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := g.callContext(cmd.Context())
	defer cancel()
	return c.Knowledge.UploadDocument(ctx, &relevov1.UploadDocumentRequest{
		Filename:  f.name,
		MediaType: mediaTypes[strings.ToLower(filepath.Ext(f.path))],
		Content:   content,
	})
}

func printUpload(w io.Writer, asJSON bool, f uploadFile, resp *relevov1.UploadDocumentResponse) error {
	if asJSON {
		return writeJSON(w, resp)
	}
	state := "new"
	switch {
	case resp.GetUnchanged():
		state = "unchanged"
	case resp.GetReplaced():
		state = "replaced"
	}
	d := resp.GetDocument()
	_, err := fmt.Fprintf(w, "%-10s %s: %d chunk(s), document %s\n", state, f.path, d.GetChunkCount(), d.GetId())
	return err
}

func newKBListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the documents of the knowledge base",
		Long: `list prints every document of the knowledge base. Documents of the sample
knowledge base a new server loads are marked "(demo)": the server deletes them,
with their Q&A entries, when the first document of your own is uploaded.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			// No paging flags: every page, from the first.
			return listAll(cmd, g, pageFlags{all: true}, listing[*relevov1.Document]{
				what:   "documents",
				header: []string{"ID", "FILE", "TYPE", "PAGES", "CHUNKS", "BYTES", "UPDATED"},
				fetch: func(ctx context.Context, c *relevo.Client, token string) ([]*relevov1.Document, string, error) {
					resp, err := c.Knowledge.ListDocuments(ctx, &relevov1.ListDocumentsRequest{PageToken: token})
					return resp.GetDocuments(), resp.GetNextPageToken(), err
				},
				row: func(d *relevov1.Document) []string {
					return []string{d.GetId(), demoMark(d.GetFilename()), d.GetMediaType(), fmt.Sprint(d.GetPages()),
						fmt.Sprint(d.GetChunkCount()), fmt.Sprint(d.GetSizeBytes()), formatTime(d.GetUpdatedAt())}
				},
			})
		},
	}
}

func newKBDeleteCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a document and its chunks",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := callOnce(cmd, g, "delete document "+args[0], func(ctx context.Context, c *relevo.Client) (*relevov1.DeleteDocumentResponse, error) {
				return c.Knowledge.DeleteDocument(ctx, &relevov1.DeleteDocumentRequest{DocumentId: args[0]})
			})
			if err != nil {
				return err
			}
			return g.done(cmd, resp, "deleted document %s", args[0])
		},
	}
}

func newKBSearchCmd(g *globals) *cobra.Command {
	var limit int32
	cmd := &cobra.Command{
		Use:   "search QUERY...",
		Short: "Search the knowledge base as the Knowledge agent does",
		Long: `search runs the retrieval the Knowledge agent uses and prints each hit with its
combined score and its lexical and vector parts, the source and page, and a
snippet. Hits at or above the answer threshold, which the agent would answer
from, are marked with "*". With -o json it prints the SearchResponse as one
object.`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := callOnce(cmd, g, "search", func(ctx context.Context, c *relevo.Client) (*relevov1.SearchResponse, error) {
				return c.Knowledge.Search(ctx, &relevov1.SearchRequest{Query: strings.Join(args, " "), Limit: limit})
			})
			if err != nil {
				return err
			}
			return show(cmd, g, resp, printSearch)
		},
	}
	cmd.Flags().Int32Var(&limit, "limit", 0, "maximum hits (server default 5, at most 50)")
	return cmd
}

func printSearch(w io.Writer, resp *relevov1.SearchResponse) error {
	threshold := resp.GetAnswerThreshold()
	fmt.Fprintf(w, "answer threshold %.3f (* = the agent would answer from it)\n", threshold)
	if len(resp.GetResults()) == 0 {
		_, err := fmt.Fprintln(w, "no results")
		return err
	}
	for i, r := range resp.GetResults() {
		mark := " "
		if r.GetScore() >= threshold {
			mark = "*"
		}
		where := r.GetSource()
		if r.GetPage() > 0 {
			where += fmt.Sprintf(" p.%d", r.GetPage())
		}
		if r.GetHeading() != "" {
			where += " § " + r.GetHeading()
		}
		fmt.Fprintf(w, "%s%2d. %.3f  (lexical %.3f, vector %.3f)  %s  %s\n", mark, i+1, r.GetScore(),
			r.GetLexicalScore(), r.GetVectorScore(), enumText(r.GetKind().String(), "SOURCE_KIND_"), where)
		if r.GetQuestion() != "" {
			fmt.Fprintf(w, "      Q: %s\n", oneLine(r.GetQuestion(), 200))
		}
		fmt.Fprintf(w, "      %s\n", oneLine(r.GetText(), 200))
	}
	return nil
}
