// Renders the templates of a Helm chart the way Helm's engine does for what
// cdk8s-agent-platform writes: each file under templates/ is a Go
// text/template named after its path, executed with Helm's top-level
// objects and missingkey=zero (Helm's default; --strict is missingkey=error).
// Helm's template functions (sprig, include, tpl...) are not provided, so a
// template that calls one fails here: the library's output must hold no
// action but the escapes of `{{`. Usage: render <chart dir> <out dir>.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: render <chart dir> <out dir>")
		os.Exit(2)
	}
	chart, out := os.Args[1], os.Args[2]
	files, err := filepath.Glob(filepath.Join(chart, "templates", "*"))
	if err != nil || len(files) == 0 {
		fmt.Fprintf(os.Stderr, "no templates in %s\n", chart)
		os.Exit(2)
	}
	sort.Strings(files)
	values := map[string]interface{}{
		"Values":       map[string]interface{}{},
		"Release":      map[string]interface{}{"Name": "release", "Namespace": "default", "Service": "Helm"},
		"Chart":        map[string]interface{}{},
		"Capabilities": map[string]interface{}{},
	}
	failed := false
	for _, file := range files {
		base := filepath.Base(file)
		if strings.HasPrefix(base, "_") || !(strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml")) {
			continue
		}
		text, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		name := filepath.Join("templates", base)
		t, err := template.New(name).Option("missingkey=zero").Parse(string(text))
		if err != nil {
			fmt.Fprintf(os.Stderr, "parse error: %v\n", err)
			failed = true
			continue
		}
		var buf bytes.Buffer
		values["Template"] = map[string]interface{}{"Name": name, "BasePath": "templates"}
		if err := t.Execute(&buf, values); err != nil {
			fmt.Fprintf(os.Stderr, "render error: %v\n", err)
			failed = true
			continue
		}
		if err := os.WriteFile(filepath.Join(out, base), buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if failed {
		os.Exit(1)
	}
}
