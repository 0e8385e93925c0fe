//! Compiles `c/walk.c` (see `src/walk.rs`) against tree-sitter's private headers. The tree-sitter
//! crate declares `links = "tree-sitter"` and exports its public include folder, which its build
//! script places beside `src/`, where the private headers are.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=c/walk.c");
    let Some(include) = env::var_os("DEP_TREE_SITTER_INCLUDE").map(PathBuf::from) else {
        panic!("DEP_TREE_SITTER_INCLUDE is not set: tree-sitter must be a direct dependency");
    };
    let Some(private) = include.parent().map(|root| root.join("src")) else {
        panic!(
            "tree-sitter's include folder has no parent: {}",
            include.display()
        );
    };
    cc::Build::new()
        .file("c/walk.c")
        .include(&include)
        .include(&private)
        .flag_if_supported("-std=c11")
        .define("_POSIX_C_SOURCE", "200112L")
        .define("_DEFAULT_SOURCE", None)
        .compile("isolint_walk");
}
