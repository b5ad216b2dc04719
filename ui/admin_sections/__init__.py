"""The Admin page's sections, one module each: each lays out its components (every one with an
``elem_id``) and wires its handlers, which return ``{component: value}`` updates and go through the
one error boundary (``ui.errors``). ``ui.admin.admin_tab`` puts them together."""
