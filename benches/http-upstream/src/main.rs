//! examples/http's server (`http-server`) on upstream mio: the baseline of
//! scripts/bench-http.sh.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    println!("mio: {}", http_example::MIO);
    println!("listening on {}", listener.local_addr().expect("local_addr"));
    axum::serve(listener, http_example::app())
        .await
        .expect("serve");
}
