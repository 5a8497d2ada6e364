"""Web map pages built with folium; they take data, not sessions."""
