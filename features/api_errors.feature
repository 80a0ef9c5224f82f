@allure.label.epic:Platform @needs.chat_socket
Feature: Every error is a problem the app can read
  Whatever goes wrong, the API answers with an RFC 9457 problem
  (application/problem+json): a status, a type the app can act on, a title a
  person can read. That holds for the web framework's own errors too, such as
  an address the API does not have, so an app never has to parse a page of
  HTML or plain text to find out what happened.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @normal @allure.label.story:Problems
  Scenario: An address the API does not have is answered with a problem saying nothing is there
    Given Alice has signed up and logged in
    When she asks the API for an address it does not have
    Then she is told in a problem "not-found" that nothing is there

  @normal @allure.label.story:Problems
  Scenario: A method an address does not take is answered with a problem that lists the methods it takes
    Given Alice has signed up and logged in
    When she asks the API to delete her list of chats
    Then she is told in a problem "method-not-allowed" that the address does not take that method
    And the answer lists the methods the address does take, GET and POST
