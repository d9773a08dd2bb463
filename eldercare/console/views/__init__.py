"""Pages of the web console: each view parses input with a form, calls the
registry's services or selectors (which decide scope and rules) and renders."""
