//! The `skaffold.yaml` model: every field of `skaffold/v4beta14` with Skaffold's defaults, older
//! `apiVersion`s upgraded, multi-document files and modules, profiles, templating, and validation
//! errors that name the file, line, column and field.
