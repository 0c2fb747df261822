"""Building blocks shared by the dashboard's pages."""
