"""The enterprise gateway's uplink to the park: subjects, message shapes, the edge sink."""
