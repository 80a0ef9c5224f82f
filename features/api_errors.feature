@allure.label.epic:Platform @needs.chat_socket
Feature: Every error is a problem the app can read
  Whatever goes wrong, the API answers with an RFC 9457 problem
  (application/problem+json): a status, a type the app can act on, a title a
  person can read. That holds for the web framework's own errors too, such as
  an address the API does not have, so an app never has to parse a page of
  HTML or plain text to find out what happened.

  Words used here:
  - a problem is the API's error answer: {type, title, status, detail};
  - Allow is the header that lists the methods an address takes.

  @normal @allure.label.story:Problems
  Scenario: An address the API does not have gets a 404 problem
    Given Alice has signed up and logged in
    When she asks the API for an address it does not have
    Then she gets a 404 problem "not-found"

  @normal @allure.label.story:Problems
  Scenario: A method an address does not take gets a 405 problem, with the methods it takes
    Given Alice has signed up and logged in
    When she asks the API to delete her list of chats
    Then she gets a 405 problem "method-not-allowed"
    And the answer's Allow header lists GET and POST
