"""The ground floor: the site and gateway files, their loader and checks, the catalog."""
