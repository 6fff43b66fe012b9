using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Wrapper.Simulator.Agents;

namespace Wrapper.Simulator.Foundry;

/// <summary>A conversation as tests see it.</summary>
public sealed record ConversationInfo(string Id, bool Deleted, IReadOnlyDictionary<string, string> Metadata, int ItemCount);

/// <summary>Totals since start (or the last <see cref="FoundryStore.Reset"/>).</summary>
public sealed record FoundryStoreCounters(
    int AgentVersionsCreated,
    int ConversationsCreated,
    int ConversationsDeleted,
    int ConversationsActive,
    int ItemsCreated,
    int ResponsesCreated,
    int ResponsesCompleted,
    int ResponsesFailed,
    int ResponsesInProgress);

/// <summary>
/// The state of the simulated new Agent Service: named agents and their versions, conversations and their items, and
/// responses. Thread-safe (one lock). A response is prepared (validated, stored <c>in_progress</c>), then finished: the
/// answer is composed by <see cref="GroundedAnswerComposer"/> from the last user message of everything the agent saw
/// (the conversation's items or the previous response chain, then the input), and on success the input and the answer
/// are appended to the conversation. Seeded agents come from <see cref="AgentSimulatorOptions.NamedAgents"/> (or
/// <see cref="SimulatedNamedAgent.Defaults"/>) at start and on <see cref="Reset"/>.
/// </summary>
public sealed class FoundryStore
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private readonly Lock _gate = new();
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, List<NamedAgentVersion>> _agents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimConversation> _conversations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimResponse> _responses = new(StringComparer.Ordinal);
    private int _agentVersionsCreated;
    private int _conversationsCreated;
    private int _conversationsDeleted;
    private int _itemsCreated;

    public FoundryStore(SimulatorOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        Seed();
    }

    private long Now => _time.GetUtcNow().ToUnixTimeSeconds();

    // ---- agents ----

    internal JsonObject CreateAgentVersion(string name, NewAgentVersion request)
    {
        FoundryRequestReader.CheckAgentName(name);
        lock (_gate)
        {
            if (!_agents.TryGetValue(name, out var versions))
            {
                versions = [];
                _agents.Add(name, versions);
            }

            var number = versions.Count == 0 ? 1 : versions.Max(v => int.TryParse(v.Version, out var n) ? n : 0) + 1;
            var version = new NamedAgentVersion(name, number.ToString(System.Globalization.CultureInfo.InvariantCulture), Now)
            {
                Model = request.Model,
                Instructions = request.Instructions ?? "",
                Kind = request.Kind,
                Definition = request.Definition,
                Description = request.Description,
                Metadata = request.Metadata is null ? [] : new Dictionary<string, string>(request.Metadata),
            };
            versions.Add(version);
            _agentVersionsCreated++;
            return FoundryWire.AgentVersion(version);
        }
    }

    internal JsonObject GetAgent(string name)
    {
        lock (_gate)
        {
            return FoundryWire.Agent(RequireAgent(name)[^1]);
        }
    }

    internal JsonObject GetAgentVersion(string name, string version)
    {
        lock (_gate)
        {
            return FoundryWire.AgentVersion(RequireVersion(name, version));
        }
    }

    internal JsonObject ListAgentVersions(string name, PageRequest page)
    {
        lock (_gate)
        {
            return Page(RequireAgent(name), v => v.Id, page, FoundryWire.AgentVersion, "agent version");
        }
    }

    // ---- conversations ----

    internal JsonObject CreateConversation(IReadOnlyList<InputMessage> items, IReadOnlyDictionary<string, string>? metadata)
    {
        lock (_gate)
        {
            var conversation = new SimConversation(NewId("conv_"), Now)
            {
                Metadata = metadata is null ? [] : new Dictionary<string, string>(metadata),
            };
            _conversations.Add(conversation.Id, conversation);
            _conversationsCreated++;
            foreach (var item in items)
            {
                conversation.Items.Add(NewItem(item.Role, item.Text));
            }

            return FoundryWire.Conversation(conversation);
        }
    }

    internal JsonObject GetConversation(string id)
    {
        lock (_gate)
        {
            return FoundryWire.Conversation(RequireConversation(id));
        }
    }

    internal JsonObject UpdateConversation(string id, IReadOnlyDictionary<string, string>? metadata)
    {
        lock (_gate)
        {
            var conversation = RequireConversation(id);
            if (metadata is not null)
            {
                conversation.Metadata = new Dictionary<string, string>(metadata);
            }

            return FoundryWire.Conversation(conversation);
        }
    }

    internal JsonObject DeleteConversation(string id)
    {
        lock (_gate)
        {
            var conversation = RequireConversation(id);
            conversation.Deleted = true;
            _conversationsDeleted++;
            return FoundryWire.ConversationDeleted(conversation.Id);
        }
    }

    internal JsonObject AddItems(string id, IReadOnlyList<InputMessage> items)
    {
        lock (_gate)
        {
            var conversation = RequireConversation(id);
            var added = items.Select(i => NewItem(i.Role, i.Text)).ToList();
            conversation.Items.AddRange(added);
            return FoundryWire.List([.. added.Select(i => FoundryWire.Item(i))], added[0].Id, added[^1].Id, false);
        }
    }

    /// <summary>The items of a conversation; <paramref name="itemType"/> filters by type (the simulator's items are all
    /// <c>message</c>s).</summary>
    internal JsonObject ListItems(string id, PageRequest page, string? itemType = null)
    {
        lock (_gate)
        {
            var items = RequireConversation(id).Items;
            return Page(itemType is null or "message" ? items : [], i => i.Id, page, i => FoundryWire.Item(i), "item");
        }
    }

    internal JsonObject GetItem(string id, string itemId)
    {
        lock (_gate)
        {
            var item = RequireConversation(id).Items.FirstOrDefault(i => i.Id == itemId)
                ?? throw AgentApiException.NotFound($"Item with id '{itemId}' not found in conversation '{id}'.");
            return FoundryWire.Item(item);
        }
    }

    internal JsonObject DeleteItem(string id, string itemId)
    {
        lock (_gate)
        {
            var conversation = RequireConversation(id);
            var removed = conversation.Items.RemoveAll(i => i.Id == itemId);
            return removed > 0
                ? FoundryWire.Conversation(conversation)
                : throw AgentApiException.NotFound($"Item with id '{itemId}' not found in conversation '{id}'.");
        }
    }

    // ---- responses ----

    /// <summary>Validates <paramref name="request"/> and stores the response <c>in_progress</c>.</summary>
    internal SimResponse Prepare(NewResponse request)
    {
        lock (_gate)
        {
            NamedAgentVersion? agent = null;
            string model;
            if (request.Agent is { } reference)
            {
                agent = reference.Version is { } version ? RequireVersion(reference.Name, version) : RequireAgent(reference.Name)[^1];
                model = agent.Model;
            }
            else
            {
                model = _options.FindDeployment(request.Model!)
                    ?? throw new AgentApiException(StatusCodes.Status404NotFound, "model_not_found",
                        $"The model '{request.Model}' does not exist or you do not have access to it.", "model");
            }

            IReadOnlyList<MessageItem> history = [];
            if (request.ConversationId is { } conversationId)
            {
                history = [.. RequireConversation(conversationId).Items];
            }
            else if (request.PreviousResponseId is { } previousId)
            {
                if (!_responses.TryGetValue(previousId, out var previous) || !previous.Store)
                {
                    throw AgentApiException.BadRequest($"Previous response with id '{previousId}' not found.", "previous_response_id");
                }

                history = previous.Output is { } answer ? [.. previous.Context, answer] : previous.Context;
            }

            if (request.Input.Count == 0 && !history.Any(i => i.Role == "user"))
            {
                throw AgentApiException.BadRequest("Missing required parameter: 'input'.", "input");
            }

            if (request.Input.Any(i => i.Text.Contains(_options.ContentFilterTrigger, StringComparison.OrdinalIgnoreCase)))
            {
                throw new AgentApiException(StatusCodes.Status400BadRequest, "content_filter",
                    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
                    "input");
            }

            var input = request.Input.Select(i => NewItem(i.Role, i.Text, countAsCreated: false)).ToList();
            List<MessageItem> context = [.. history, .. input];
            var question = context.LastOrDefault(i => i.Role == "user")?.Text ?? "";
            var instructions = request.Instructions ?? agent?.Instructions;
            var response = new SimResponse(NewId("resp_"), Now)
            {
                Agent = agent,
                Model = model,
                Instructions = instructions,
                ConversationId = request.ConversationId,
                PreviousResponseId = request.PreviousResponseId,
                Input = input,
                Context = context,
                OutputItemId = NewId("msg_"),
                Outcome = RunScript.OutcomeOf(question),
                MarkerGroup = context.Count + 2,
                Store = request.Store,
                Metadata = request.Metadata is null ? [] : new Dictionary<string, string>(request.Metadata),
            };
            _responses.Add(response.Id, response);
            return response;
        }
    }

    /// <summary>Composes the answer of a prepared response (or its failure, as its prompt asks) and, when it completed
    /// within a conversation, appends the input and the answer to it.</summary>
    internal SimResponse Finish(SimResponse response)
    {
        lock (_gate)
        {
            var inputTokens = RunScript.CountTokens(response.Instructions ?? "") + response.Context.Sum(i => RunScript.CountTokens(i.Text));
            switch (response.Outcome)
            {
                case RunOutcome.Fail:
                    response.Status = "failed";
                    response.Error = new RunError("server_error", "Sorry, something went wrong.");
                    response.Usage = new ResponseUsage(inputTokens, 0);
                    return response;
                case RunOutcome.RateLimit:
                    response.Status = "failed";
                    response.Error = new RunError("rate_limit_exceeded", "Rate limit is exceeded. Try again in 60 seconds.");
                    response.Usage = new ResponseUsage(inputTokens, 0);
                    return response;
                case RunOutcome.Empty:
                    response.Status = "completed";
                    response.Usage = new ResponseUsage(inputTokens, 0);
                    break;
                default:
                    var composer = response.Agent?.AsComposerAgent()
                        ?? new SimulatedAgent { Id = response.Model, Name = response.Model, Kind = SimulatedAgentKind.Plain };
                    var question = response.Context.LastOrDefault(i => i.Role == "user")?.Text ?? "";
                    var answer = GroundedAnswerComposer.Compose(composer, question, response.MarkerGroup);
                    response.Output = new MessageItem(response.OutputItemId, "assistant", answer.Text, answer.Annotations, Now, response.Id, response.Agent);
                    response.Status = "completed";
                    response.Usage = new ResponseUsage(inputTokens, RunScript.CountTokens(answer.Text));
                    break;
            }

            if (response.ConversationId is { } id && _conversations.TryGetValue(id, out var conversation) && !conversation.Deleted)
            {
                foreach (var item in response.Input)
                {
                    conversation.Items.Add(item);
                    _itemsCreated++;
                }

                if (response.Output is { } output)
                {
                    conversation.Items.Add(output);
                    _itemsCreated++;
                }
            }

            return response;
        }
    }

    /// <summary>Marks a response whose client went away before it finished as cancelled.</summary>
    internal void Abandon(SimResponse response)
    {
        lock (_gate)
        {
            if (response.Status == "in_progress")
            {
                response.Status = "cancelled";
                }
        }
    }

    internal JsonObject GetResponse(string id)
    {
        lock (_gate)
        {
            return _responses.TryGetValue(id, out var response) && response.Store
                ? FoundryWire.Response(response)
                : throw AgentApiException.NotFound($"Response with id '{id}' not found.");
        }
    }

    // ---- for tests and the state route ----

    public ConversationInfo? FindConversation(string id)
    {
        lock (_gate)
        {
            return _conversations.TryGetValue(id, out var c)
                ? new ConversationInfo(c.Id, c.Deleted, new Dictionary<string, string>(c.Metadata), c.Items.Count)
                : null;
        }
    }

    public FoundryStoreCounters GetCounters()
    {
        lock (_gate)
        {
            int Count(string status) => _responses.Values.Count(r => r.Status == status);
            return new FoundryStoreCounters(
                AgentVersionsCreated: _agentVersionsCreated,
                ConversationsCreated: _conversationsCreated,
                ConversationsDeleted: _conversationsDeleted,
                ConversationsActive: _conversations.Values.Count(c => !c.Deleted),
                ItemsCreated: _itemsCreated,
                ResponsesCreated: _responses.Count,
                ResponsesCompleted: Count("completed"),
                ResponsesFailed: Count("failed"),
                ResponsesInProgress: Count("in_progress"));
        }
    }

    /// <summary>Forgets every conversation, response and created agent version, zeroes the counters and seeds the
    /// configured named agents again.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _conversations.Clear();
            _responses.Clear();
            _agentVersionsCreated = _conversationsCreated = _conversationsDeleted = _itemsCreated = 0;
            Seed();
        }
    }

    // ---- internals (callers hold _gate, or the constructor runs) ----

    private void Seed()
    {
        _agents.Clear();
        var seeds = _options.Agents.NamedAgents.Count > 0 ? [.. _options.Agents.NamedAgents] : SimulatedNamedAgent.Defaults();
        var createdAt = Now;
        foreach (var seed in seeds)
        {
            try
            {
                FoundryRequestReader.CheckAgentName(seed.Name);
            }
            catch (AgentApiException invalid)
            {
                throw new InvalidOperationException($"Simulator:Agents:NamedAgents: {invalid.Message}", invalid);
            }

            if (!_agents.TryGetValue(seed.Name, out var versions))
            {
                versions = [];
                _agents.Add(seed.Name, versions);
            }

            if (string.IsNullOrWhiteSpace(seed.Version) || versions.Any(v => v.Version == seed.Version))
            {
                throw new InvalidOperationException(
                    $"Simulator:Agents:NamedAgents: agent '{seed.Name}' needs a distinct, non-empty Version (got '{seed.Version}').");
            }

            versions.Add(new NamedAgentVersion(seed.Name, seed.Version, createdAt)
            {
                Model = seed.Model,
                Instructions = seed.Instructions,
                Kind = seed.Kind,
                Definition = FoundryWire.Definition(seed.Model, seed.Instructions, seed.Kind),
                Description = seed.Description,
            });
        }
    }

    private MessageItem NewItem(string role, string text, bool countAsCreated = true)
    {
        if (countAsCreated)
        {
            _itemsCreated++;
        }

        return new MessageItem(NewId("msg_"), role, text, [], Now);
    }

    private static string NewId(string prefix) => prefix + RandomNumberGenerator.GetString(Alphabet, 32);

    private List<NamedAgentVersion> RequireAgent(string name) =>
        _agents.TryGetValue(name, out var versions) && versions.Count > 0
            ? versions
            : throw AgentApiException.NotFound($"Agent '{name}' not found.");

    private NamedAgentVersion RequireVersion(string name, string version) =>
        RequireAgent(name).FirstOrDefault(v => v.Version == version)
        ?? throw AgentApiException.NotFound($"Version '{version}' of agent '{name}' not found.");

    private SimConversation RequireConversation(string id) =>
        _conversations.TryGetValue(id, out var conversation) && !conversation.Deleted
            ? conversation
            : throw AgentApiException.NotFound($"Conversation with id '{id}' not found.");

    private static JsonObject Page<T>(IReadOnlyList<T> oldestFirst, Func<T, string> id, PageRequest page, Func<T, JsonObject> map, string kind)
    {
        var list = AgentWireProjection.Page(oldestFirst, id, page, map, kind);
        return FoundryWire.List(list.Data, list.FirstId, list.LastId, list.HasMore);
    }
}
