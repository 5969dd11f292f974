# authbff — run `make help` for the targets.
GO      ?= go
BIN     ?= bin/authbff
# The tests pass cheap hash parameters through configuration; -race needs cgo (SQLite has it anyway).
TESTFLAGS ?= -race -count=1 -timeout 20m

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: ## Serve on :8080 with SQLite in ./data (no configuration needed)
	$(GO) run ./cmd/authbff serve

.PHONY: build
build: ## Build the binary into bin/authbff
	CGO_ENABLED=1 $(GO) build -trimpath -o $(BIN) ./cmd/authbff

.PHONY: test
test: tools ## Run every test (vet, unit, HTTP end to end, browser, fuzz seed corpora) and check generated code
	$(GO) vet ./...
	@$(GO) test $(TESTFLAGS) ./...; rc=$$?; ./scripts/test-notes.sh; exit $$rc
	./.ci/check-generated

.PHONY: tools
tools: ## Install the pinned npm packages the tests use (web/_npm: the schema linter), if npm is there
	@if command -v npm >/dev/null 2>&1; then \
		stamp=web/_npm/node_modules/.package-lock.json; \
		if [ ! -f $$stamp ] || [ web/_npm/package-lock.json -nt $$stamp ]; then \
			npm ci --prefix web/_npm --no-audit --no-fund --ignore-scripts >/dev/null; \
		fi; \
	else echo "npm not found: the schema lint test will be skipped"; fi

.PHONY: ui-assets
ui-assets: ## Refetch the pinned GraphiQL and Swagger UI builds into web/vendor (scripts/update-ui-assets.sh)
	./scripts/update-ui-assets.sh

.PHONY: generate
generate: ## Regenerate ent and gqlgen code (go generate ./...)
	$(GO) generate ./...

.PHONY: migration
migration: ## Plan a migration from the ent schema for both dialects: make migration NAME=add_x (PostgreSQL dev database: AUTH_TEST_POSTGRES_URL)
	@test -n "$(NAME)" || { echo "usage: make migration NAME=what_changed" >&2; exit 2; }
	$(GO) run ./migrations/gen $(NAME)

.PHONY: check-generated
check-generated: ## Fail if regenerating ent/gqlgen code changes anything
	./.ci/check-generated

.PHONY: bench
bench: ## Run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

PROFILE_BENCH ?= MeREST|MeGraphQL|Refresh|LoginCheapHash
.PHONY: profile
profile: ## CPU and memory profiles of the hot-path benchmarks into prof/ (go tool pprof -top prof/rest.test prof/cpu.out)
	@mkdir -p prof
	$(GO) test -run '^$$' -bench '$(PROFILE_BENCH)' -benchtime 3s -benchmem -cpuprofile prof/cpu.out -memprofile prof/mem.out -o prof/rest.test ./rest
	$(GO) tool pprof -top -cum prof/rest.test prof/cpu.out | head -40

FUZZTIME ?= 3m
FUZZ_TARGETS = ./rest:FuzzRESTBody ./rest:FuzzBearer ./rest:FuzzGraphQL ./rest/pyjson:FuzzDecode ./graph/auth/emailaddr:FuzzValidate

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 3m); make test runs their seed corpora
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

.PHONY: fmt
fmt: ## gofmt every file
	gofmt -w $$(git ls-files '*.go')
