@allure.label.epic:Privacy @needs.chat_socket
Feature: One customer cannot reach another's chats
  Every customer's chats are theirs alone. Another customer who knows or
  guesses the id of a chat cannot read it, find it in a list, or delete it:
  the platform answers as if the chat did not exist, so not even the answer
  tells that it exists (OWASP API1, broken object level authorization). A
  chat she opens is filed under her own account, whatever owner her request
  names (OWASP API3).
  Posting into another customer's chat over the chat connection is refused
  the same way (see the agent's event stream), and so are her exports (see
  data export).

  Words used here are defined once, in the glossary (docs/glossary.md).

  @blocker @allure.label.story:Reading
  Scenario: Another customer cannot read a chat by its id
    Given Alice is in a chat with the agent
    And she has asked the agent "What is 12 * 7?"
    When Mallory, signed in as herself, reads the messages of Alice's chat by its id
    Then Mallory is told that the chat does not exist

  @blocker @allure.label.story:Listing
  Scenario: A customer's list of chats holds her own and nobody else's
    Given Alice is in a chat with the agent
    And Mallory is in a chat with the agent
    When Mallory lists her chats
    Then she sees her own chat and none of Alice's

  @blocker @allure.label.story:Opening
  Scenario: A chat a customer opens is hers, whatever owner her request names
    Given Alice has signed up and logged in
    And Mallory has signed up and logged in
    When Mallory opens a chat naming Alice's account as its owner
    Then the chat is among Mallory's chats and not among Alice's, and Alice cannot read it

  @blocker @allure.label.story:Deleting
  Scenario: Another customer cannot delete a chat by its id
    Given Alice is in a chat with the agent
    And she has asked the agent "What is 12 * 7?"
    When Mallory, signed in as herself, deletes Alice's chat by its id
    Then Mallory is told that the chat does not exist
    And Alice's chat is unchanged in the platform's database

  @normal @allure.label.story:Deleting
  Scenario: A customer can delete her own chat, with its messages
    Given Alice is in a chat with the agent
    And she has asked the agent "What is 12 * 7?"
    When she deletes her chat
    Then her chat and its messages are gone from the platform's database
