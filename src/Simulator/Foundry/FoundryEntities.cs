using System.Text.Json.Nodes;
using Wrapper.Simulator.Agents;

namespace Wrapper.Simulator.Foundry;

// The records the simulated new Agent Service keeps: named agent versions, conversations and their items, responses
// (guarded by FoundryStore's lock).

/// <summary>One immutable version of a named prompt agent.</summary>
internal sealed class NamedAgentVersion(string name, string version, long createdAt)
{
    public string Name { get; } = name;
    public string Version { get; } = version;
    public long CreatedAt { get; } = createdAt;
    public required string Model { get; init; }
    public required string Instructions { get; init; }
    public required SimulatedAgentKind Kind { get; init; }
    public required JsonObject Definition { get; init; }
    public string? Description { get; init; }
    public Dictionary<string, string> Metadata { get; init; } = [];

    /// <summary>The <c>id</c> of the version on the wire: <c>name:version</c> (the form of the <c>agent_id</c> filter).</summary>
    public string Id => $"{Name}:{Version}";

    /// <summary>The composer's view of this agent (its name and kind decide the answer).</summary>
    public SimulatedAgent AsComposerAgent() => new() { Id = Id, Name = Name, Model = Model, Instructions = Instructions, Kind = Kind };
}

/// <summary>A message item of a conversation or of a response's input/output.</summary>
internal sealed record MessageItem(
    string Id,
    string Role,
    string Text,
    IReadOnlyList<TextAnnotation> Annotations,
    long CreatedAt,
    string? ResponseId = null,
    NamedAgentVersion? Agent = null);

internal sealed class SimConversation(string id, long createdAt)
{
    public string Id { get; } = id;
    public long CreatedAt { get; } = createdAt;
    public Dictionary<string, string> Metadata { get; set; } = [];
    public List<MessageItem> Items { get; } = [];
    public bool Deleted { get; set; }
}

/// <summary>Token usage of a response (o200k counts).</summary>
internal sealed record ResponseUsage(int InputTokens, int OutputTokens)
{
    public int TotalTokens => InputTokens + OutputTokens;
}

internal sealed class SimResponse(string id, long createdAt)
{
    public string Id { get; } = id;
    public long CreatedAt { get; } = createdAt;
    public string Status { get; set; } = "in_progress";
    public NamedAgentVersion? Agent { get; init; }
    public required string Model { get; init; }
    public string? Instructions { get; init; }
    public string? ConversationId { get; init; }
    public string? PreviousResponseId { get; init; }
    public required IReadOnlyList<MessageItem> Input { get; init; }

    /// <summary>Everything the model saw before answering: prior conversation or response-chain items, then the input.</summary>
    public required IReadOnlyList<MessageItem> Context { get; init; }

    public required string OutputItemId { get; init; }
    public required RunOutcome Outcome { get; init; }
    public required int MarkerGroup { get; init; }
    public required bool Store { get; init; }
    public Dictionary<string, string> Metadata { get; init; } = [];
    public MessageItem? Output { get; set; }
    public RunError? Error { get; set; }
    public ResponseUsage? Usage { get; set; }
}
