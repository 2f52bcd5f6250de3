/// Associates readiness events with an [`event::Source`].
///
/// A `Token` is a `usize` chosen by the user when a source is registered; it
/// comes back unchanged in every [`Event`] for that source. A common choice is
/// the index of the source in a `Vec` or slab.
///
/// Using `Token(usize::MAX)` is allowed but discouraged: some backends reserve
/// no value, others (this crate included) may use it internally for a waker if
/// the user picks it.
///
/// [`event::Source`]: crate::event::Source
/// [`Event`]: crate::event::Event
///
/// # Examples
///
/// ```
/// use mio::Token;
///
/// let token = Token(7);
/// assert_eq!(usize::from(token), 7);
/// assert_eq!(Token::from(7usize), token);
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
