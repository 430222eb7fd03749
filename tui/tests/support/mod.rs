pub mod corpus;
pub mod messages;
