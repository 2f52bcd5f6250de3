//! The `regen-check` suite: `generated/` is what the generator makes from
//! `wit/` and `build/` (what `cargo xtask regenerate --check` checks), and
//! the generator versions the files name are the ones cargo resolves.

use crate::harness::{Ctx, Report, Suite};
use crate::regenerate;

pub const REGEN_CHECK: Suite = Suite {
    name: "regen-check",
    about: "generated/ is what build/generate.rs makes from wit/, with the generator versions cargo resolves",
    run: regen_check,
};

fn regen_check(ctx: &Ctx, report: &mut Report) {
    let fresh = match regenerate::fresh_bindings(&ctx.root) {
        Ok(fresh) => fresh,
        Err(e) => {
            report.fail("build with regenerate-bindings", e);
            return;
        }
    };
    report.pass("build with regenerate-bindings");
    match regenerate::version_checks(&ctx.root, &fresh) {
        Ok(results) => {
            for (name, result) in results {
                report.check(name, result);
            }
        }
        Err(e) => report.fail("generator versions", e),
    }
    let generated = ctx.path("generated");
    match regenerate::compare(&fresh, &generated) {
        Ok(results) => {
            let mut stale = false;
            for (name, result) in results {
                stale |= !report.check(format!("{name} is up to date"), result);
            }
            if stale {
                regenerate::show_diff(&generated, &fresh);
                println!(
                    "refresh generated/ with `cargo xtask regenerate` and commit it \
                     (never edit those files by hand)"
                );
            }
        }
        Err(e) => report.fail("compare generated/", e),
    }
}
