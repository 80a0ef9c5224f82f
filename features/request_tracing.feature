@allure.label.epic:Platform @needs.chat_socket
Feature: Every request can be traced
  When a customer reports a problem, support needs to find her request in the
  platform's logs. Every answer names its request by an id. An app that sends
  an id of its own gets it back, so its logs and ours meet, and the platform's
  log line for the request carries the same id.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @normal @allure.label.story:Tracing
  Scenario: Every answer names its request, by the app's own id when it sent one, and the platform logs that id
    Given Alice has signed up and logged in
    When she reads her profile once with a request id of her own and once without one
    Then the answer to her request with an id carries that same id
    And the answer to her request without one carries a new request id
    And the platform's log line for her request names her request id
