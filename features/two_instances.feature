@allure.label.epic:Operations @two_instances @needs.chat_socket
Feature: A deployment on several servers behaves as one
  In production the platform runs on more than one server behind a load
  balancer, and a customer's requests and chat connections may land on any
  of them. What she does on one server holds on every other: a logout or an
  erasure closes her chats wherever they are open, a run can be resumed on
  another server, and her limits count her requests on all of them.

  These journeys name the servers they use ("one server", "the other
  server"). The embedded stack starts a second instance for them; against a
  deployment, give its instances with -D instance_urls=<url>,<url>. To run
  every journey with its requests spread over two servers, use
  -D platform_instances=2.

  Words used here are defined once, in the glossary (docs/glossary.md).

  @blocker @allure.label.story:Sessions
  Scenario: Logging out on one server closes the customer's chat on the other within 2 seconds
    Given Alice is in a chat with the agent on the other server
    When she logs out on one server
    Then the platform closes her chat within 2 seconds, saying the session ended

  @blocker @allure.label.story:Sessions
  Scenario: Erasing the account on one server closes the customer's chat on the other within 2 seconds
    Given Alice is in a chat with the agent on the other server
    When she erases her account with her password on one server
    Then the platform closes her chat within 2 seconds, saying the session ended

  @critical @allure.label.story:Resume
  Scenario: A run started on one server can be resumed on the other
    Given Alice is in a chat with the agent on one server
    When she asks the agent "Wait 1 second, then answer"
    And her connection drops while the tool is running
    And she reconnects to the other server and resumes the run
    Then she receives every event after the last one she saw, once each and in order, ending with agent_completed

  @critical @allure.label.story:Limits
  Scenario: Writes on both servers count against one limit
    Given Alice has signed up and logged in
    When she opens 4 chats on one server and the other by turns
    Then each answer shows one less of her write limit left
