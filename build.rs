// The default build does nothing here. With `--features regenerate-bindings`
// the generator in build/generate.rs rewrites the committed files under
// generated/ from the interface files under wit/.

#[cfg(feature = "regenerate-bindings")]
#[path = "build/generate.rs"]
mod generate;

fn main() {
    #[cfg(feature = "regenerate-bindings")]
    {
        if let Err(err) = generate::run() {
            eprintln!("error: regenerating bindings failed: {err:#}");
            std::process::exit(1);
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
