pub mod corpus;
pub mod messages;
pub mod replies;
