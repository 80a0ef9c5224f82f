@allure.label.epic:Agent_chat @load @serial @needs.chat_socket
Feature: Many customers at once each get their own answers, in time
  The agent answers every customer who asks at the same moment as everyone
  else, as on a launch day: each sees a complete answer, in order, with no
  event of anyone else's. The report carries how long each step took, in
  percentiles, so a slowdown shows before customers feel it.

  The customers sign in with the company's identity provider, as most do, so
  setting up the crowd takes seconds. (Password sign-ups are measured by
  `make bench`: each costs a deliberate fraction of a second of hashing.)

  Words used here are defined once, in the glossary (docs/glossary.md).

  @critical @allure.label.story:Concurrency
  Scenario: 100 customers chat at the same time and every one sees a complete, correctly ordered answer
    Given 100 customers have signed in with the identity provider, each with a chat open
    When they all ask the agent "What is 6 * 7?" at the same moment
    Then within 10 seconds every one of them sees a complete run, in order, answering "42"
