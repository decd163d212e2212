//! Links the cdylib so that Node-API symbols resolve when Node loads it.
fn main() {
    napi_build::setup();
}
