"""Partners in the area (issue 22): member units on the committees, and whistles they and the
departments answer (街乡吹哨、部门报到)."""
