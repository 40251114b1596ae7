# make run: set up everything and serve the site. make test: set up and run the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint setup db vendor bench clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

db: setup
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py import_notes notes/corpus
	$(BIN)/python manage.py check_derivations --unchecked
	$(BIN)/python manage.py seed_demo

# The web server and one background worker (manage.py worker), stopped together.
run: db
	@echo "Serving on http://$(HOST):$(PORT)/ with one background worker  (Ctrl-C stops both)"
	@$(BIN)/python manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Refresh vendored KaTeX, elkjs (graph layout) and axe-core (accessibility tests) from the versions pinned in package.json (needs npm).
# Only woff2 fonts are kept, so the CSS is rewritten to reference nothing else.
vendor:
	npm install --no-audit --no-fund --no-package-lock
	rm -rf static/vendor/katex && mkdir -p static/vendor/katex/fonts
	cp node_modules/katex/dist/katex.min.js notes/rendering/vendor/katex.min.js
	cp node_modules/katex/dist/fonts/*.woff2 static/vendor/katex/fonts/
	node -p "require('./node_modules/katex/package.json').version" > static/vendor/katex/VERSION
	sed -E 's/,url\(fonts\/[^)]*\.woff\) format\("woff"\)//g; s/,url\(fonts\/[^)]*\.ttf\) format\("truetype"\)//g' \
		node_modules/katex/dist/katex.min.css > static/vendor/katex/katex.min.css
	cp node_modules/elkjs/lib/elk.bundled.js notes/graph/vendor/elk.bundled.js
	cp node_modules/elkjs/LICENSE.md notes/graph/vendor/elk-LICENSE.md
	node -p "require('./node_modules/elkjs/package.json').version" > notes/graph/vendor/ELK_VERSION
	cp node_modules/axe-core/axe.min.js tests/browser/vendor/axe.min.js
	cp node_modules/axe-core/LICENSE tests/browser/vendor/axe-LICENSE
	node -p "require('./node_modules/axe-core/package.json').version" > tests/browser/vendor/AXE_VERSION

clean:
	rm -rf $(VENV) staticfiles
