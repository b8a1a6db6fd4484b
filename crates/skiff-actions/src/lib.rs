//! Containers run to completion on the local engine: verification tests (`verify[]`) and custom
//! actions (`customActions[]`, `skiff exec`).
