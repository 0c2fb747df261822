"""One module per dashboard page (dash.register_page); navigation is built from the registry."""
