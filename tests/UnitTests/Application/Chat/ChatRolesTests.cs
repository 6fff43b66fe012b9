using Wrapper.Application.Chat;
using Wrapper.Domain.Chat;

namespace Wrapper.UnitTests.Application.Chat;

public sealed class ChatRolesTests
{
    [TestCase("system", ChatRole.System)]
    [TestCase("user", ChatRole.User)]
    [TestCase("assistant", ChatRole.Assistant)]
    public void TryParse_AcceptsTheWireNames(string name, ChatRole expected)
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ChatRoles.TryParse(name, out var role), Is.True);
            Assert.That(role, Is.EqualTo(expected));
            Assert.That(ChatRoles.Parse(name), Is.EqualTo(expected));
        }
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("User")]
    [TestCase("SYSTEM")]
    [TestCase(" user")]
    [TestCase("tool")]
    [TestCase("function")]
    [TestCase("developer")]
    public void TryParse_RejectsAnythingElse(string? name)
    {
        Assert.That(ChatRoles.TryParse(name, out _), Is.False);
    }

    [Test]
    public void Parse_ThrowsForAnUnknownName()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ChatRoles.Parse("tool"));
    }

    [Test]
    public void ToName_RoundTripsEveryRole()
    {
        foreach (var role in Enum.GetValues<ChatRole>())
        {
            Assert.That(ChatRoles.Parse(role.ToName()), Is.EqualTo(role));
        }
    }

    [Test]
    public void Names_ListsExactlyTheParsableNames()
    {
        Assert.That(ChatRoles.Names, Is.EqualTo(new[] { "system", "user", "assistant" }));
        Assert.That(ChatRoles.Names.Select(ChatRoles.Parse), Is.EquivalentTo(Enum.GetValues<ChatRole>()));
    }

    [Test]
    public void ToName_ThrowsForAnUndefinedRole()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((ChatRole)42).ToName());
    }
}
