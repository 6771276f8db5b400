package main

// GIN companions: FerretDB 1.24 pushes an equality filter down to PostgreSQL as
// `_jsonb -> $1 @> $2`. The btree expression indexes it creates for createIndexes
// (`(_jsonb -> 'field'::text)`) cannot serve `@>`, so every indexed lookup was a sequential scan
// (55-85 ms for one customer's history at 100k messages). A GIN index on the same expression can
// serve it once PostgreSQL folds the field-name parameter into the expression, which the
// `plan_cache_mode = force_custom_plan` setting of our PostgreSQL guarantees (scripts/embedded.ts);
// measured: 7-13 ms. After every index change, and at start, this adds a GIN companion for each
// btree-indexed field named in -gin-fields (the fields the hub looks documents up by), in every
// FerretDB table that has one. Query results are unchanged: indexes only change plans.

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	ginFields map[string]bool
	ginPGURL  string
	ginMu     sync.Mutex
	// A FerretDB index expression on one top-level field: (_jsonb -> 'field'::text)
	ginExpr = regexp.MustCompile(`\(_jsonb -> '([^']+)'::text\)`)
)

func setupGin(fields, pgURL string) {
	ginFields = map[string]bool{}
	for _, f := range strings.Split(fields, ",") {
		if f = strings.TrimSpace(f); f != "" {
			ginFields[f] = true
		}
	}
	ginPGURL = pgURL
}

// syncGin adds the missing companions; errors are reported, never fatal (only plans suffer).
func syncGin() {
	if len(ginFields) == 0 {
		return
	}
	ginMu.Lock()
	defer ginMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, ginPGURL)
	if err != nil {
		fmt.Fprintf(os.Stderr, "embedded-store: gin: connect: %v\n", err)
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		fmt.Fprintf(os.Stderr, "embedded-store: gin: list indexes: %v\n", err)
		return
	}
	type target struct{ schema, table, field, name string }
	want := map[string]target{}
	have := map[string]bool{}
	for rows.Next() {
		var schema, table, index, def string
		if err := rows.Scan(&schema, &table, &index, &def); err != nil {
			continue
		}
		have[schema+"."+index] = true
		if !strings.Contains(def, "USING btree") {
			continue
		}
		for _, m := range ginExpr.FindAllStringSubmatch(def, -1) {
			if ginFields[m[1]] {
				h := fnv.New32a()
				_, _ = h.Write([]byte(schema + "." + table + "." + m[1]))
				name := fmt.Sprintf("gin_%08x", h.Sum32())
				want[schema+"."+name] = target{schema, table, m[1], name}
			}
		}
	}
	rows.Close()
	// Only the missing ones: this runs after every index change, inside the store's write lock.
	for key, t := range want {
		if have[key] {
			continue
		}
		name := t.name
		sql := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s.%s USING gin ((_jsonb -> %s))`,
			pgx.Identifier{name}.Sanitize(), pgx.Identifier{t.schema}.Sanitize(), pgx.Identifier{t.table}.Sanitize(), quoteLiteral(t.field))
		if _, err := conn.Exec(ctx, sql); err != nil {
			fmt.Fprintf(os.Stderr, "embedded-store: gin: %s.%s(%s): %v\n", t.schema, t.table, t.field, err)
		}
	}
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// indexChanging tells whether a command may create a collection or an index (then syncGin runs after it).
func indexChanging(req []byte) bool {
	name, ok := commandName(req)
	return ok && (name == "createIndexes" || name == "create")
}
