"""The programme's figures for a period: one aggregation (figures), read by the staff page
(views, with its SVG charts), the ANCT workbook and the `stats anct` command."""
