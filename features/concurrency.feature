@allure.label.epic:Agent_chat @load @serial @needs.chat_socket
Feature: Many customers at the same time
  The agent answers every customer who asks at the same moment as everyone
  else, as on a launch day: each sees a complete answer, in order, with no
  event of anyone else's. The report carries how long each step took, in
  percentiles, so a slowdown shows before customers feel it.

  The customers sign in with the company's identity provider, as most do, so
  setting up the crowd takes seconds. (Password sign-ups are measured by
  `make bench`: each costs a deliberate fraction of a second of hashing.)

  Words used here:
  - a run is the agent's work on one question, from agent_started to its end;
  - p95 is the time within which 95 of every 100 customers were served.

  @critical @allure.label.story:Concurrency
  Scenario: 100 customers chat at the same time and every one sees a complete, correctly ordered answer
    Given 100 customers have signed in with the identity provider, each with a chat open
    When they all ask the agent "What is 6 * 7?" at the same moment
    Then within 10 seconds every one of them sees a complete run, in order, answering "42"
