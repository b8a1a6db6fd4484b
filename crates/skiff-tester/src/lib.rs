//! Tests on built images (`test[]` in skaffold.yaml): custom commands and container structure
//! tests, the latter run natively through the engine.
