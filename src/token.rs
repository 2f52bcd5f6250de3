/// Associates readiness events with an [`event::Source`].
///
/// A `Token` is a `usize` chosen by the user when a source is registered; it
/// comes back unchanged in every [`Event`] for that source. The crate never
/// looks inside it, so any scheme works: an index into a `Vec` or a slab, a
/// key into a `HashMap`, a counter, or a packed pair of numbers.
///
/// The selector does not check that tokens are unique. Two sources
/// registered with the same token produce events that cannot be told apart,
/// which is occasionally useful (several sources handled the same way) but
/// usually a bug.
///
/// Every value is the caller's, `Token(usize::MAX)` included: no backend of
/// this crate keeps a token value for itself (wakers report the token they
/// were created with, and the selectors' internal wake-ups carry none).
///
/// [`event::Source`]: crate::event::Source
/// [`Event`]: crate::event::Event
///
/// # Examples
///
/// Conversions both ways:
///
/// ```
/// use mio::Token;
///
/// let token = Token(7);
/// assert_eq!(usize::from(token), 7);
/// assert_eq!(Token::from(7usize), token);
/// ```
///
/// Tokens as indices into a `Vec` of connections, with a fixed token for
/// the listener:
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use std::io;
/// use std::time::Duration;
/// use mio::net::{TcpListener, TcpStream};
/// use mio::{Events, Interest, Poll, Token};
///
/// const LISTENER: Token = Token(usize::MAX - 1);
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(32);
/// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
///
/// // Three clients connect.
/// let addr = listener.local_addr()?;
/// let _clients: Vec<TcpStream> = (0..3)
///     .map(|_| TcpStream::connect(addr))
///     .collect::<io::Result<_>>()?;
///
/// // Every accepted connection gets the next free index as its token.
/// let mut connections: Vec<TcpStream> = Vec::new();
/// while connections.len() < 3 {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     for event in &events {
///         if event.token() != LISTENER {
///             // `connections[event.token().0]` is the source of this event.
///             continue;
///         }
///         loop {
///             match listener.accept() {
///                 Ok((mut stream, _)) => {
///                     let token = Token(connections.len());
///                     poll.registry().register(&mut stream, token, Interest::READABLE)?;
///                     connections.push(stream);
///                 }
///                 Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
///                 Err(e) => return Err(e),
///             }
///         }
///     }
/// }
/// assert_eq!(connections.len(), 3);
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub usize);

impl From<Token> for usize {
    fn from(token: Token) -> usize {
        token.0
    }
}

impl From<usize> for Token {
    fn from(value: usize) -> Token {
        Token(value)
    }
}
