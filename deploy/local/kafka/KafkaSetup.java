// The local stack's Kafka administration in one JVM (deploy/local/stack.sh runs it after the
// broker's first start): creates the topics declared in topics.conf and adds the ACLs declared
// in acls.conf (both in deploy/k8s/base/kafka-topics/, the files the Kubernetes Job applies with
// kafka-topics.sh and kafka-acls.sh). One JVM instead of one kafka-acls.sh per rule keeps
// `stack.sh up` within seconds. Run with Java's source launcher (JDK 17):
//
//   java -cp "<kafka lib>/*" KafkaSetup.java --bootstrap HOST:PORT --command-config FILE
//        --topics topics.conf [--acls acls.conf] [--partitions N] [--replication N]
//        [--min-insync-replicas N] [--check]
//
// --command-config is a client properties file (the admin principal's SASL_SSL settings).
// Existing topics are left as they are; adding an ACL that exists changes nothing, so a second
// run is a no-op. With --check nothing is changed: the exit status is 1 when a declared topic or
// ACL is missing, or when the cluster holds an ACL for an Advocacy principal that is not
// declared. Exit status 2: a bad declaration or argument.
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public final class KafkaSetup {
  private static final long TIMEOUT_SECONDS = 60;

  private static final class BadDeclaration extends Exception {
    BadDeclaration(String message) {
      super(message);
    }
  }

  private record TopicDecl(String name, String policy, String retention, String partitions) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    boolean check = false;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--check")) {
        check = true;
      } else if (args[i].startsWith("--") && i + 1 < args.length) {
        opts.put(args[i].substring(2), args[++i]);
      } else {
        fail("unexpected argument '" + args[i] + "' (see the comment at the top of KafkaSetup.java)");
      }
    }
    for (String required : List.of("bootstrap", "command-config", "topics")) {
      if (!opts.containsKey(required)) fail("--" + required + " is required");
    }
    List<TopicDecl> topics;
    List<AclBinding> acls;
    try {
      topics = readTopics(Path.of(opts.get("topics")));
      acls = opts.containsKey("acls") ? readAcls(Path.of(opts.get("acls"))) : List.of();
    } catch (BadDeclaration e) {
      fail(e.getMessage());
      return;
    }
    Properties props = new Properties();
    try (FileInputStream in = new FileInputStream(opts.get("command-config"))) {
      props.load(in);
    }
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, opts.get("bootstrap"));
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "advocacy-kafka-setup");
    int partitions = Integer.parseInt(opts.getOrDefault("partitions", "6"));
    short replication = Short.parseShort(opts.getOrDefault("replication", "1"));
    String minIsr = opts.getOrDefault("min-insync-replicas", "1");
    int problems = 0;
    try (Admin admin = Admin.create(props)) {
      problems += ensureTopics(admin, topics, partitions, replication, minIsr, check);
      // Without --acls (a plaintext broker has no authorizer) the ACLs are left alone.
      if (opts.containsKey("acls")) problems += ensureAcls(admin, acls, check);
    }
    if (problems > 0) {
      System.err.println("[kafka-setup] " + problems + " difference(s) from the declaration");
      System.exit(1);
    }
  }

  private static int ensureTopics(Admin admin, List<TopicDecl> topics, int partitions,
      short replication, String minIsr, boolean check) throws Exception {
    Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    List<NewTopic> missing = new ArrayList<>();
    for (TopicDecl t : topics) {
      if (existing.contains(t.name())) continue;
      int p = t.partitions().equals("-") ? partitions : Integer.parseInt(t.partitions());
      missing.add(new NewTopic(t.name(), p, replication)
          .configs(Map.of("cleanup.policy", t.policy(), "retention.ms", t.retention(),
              "min.insync.replicas", minIsr)));
    }
    if (check) {
      for (NewTopic t : missing) System.err.println("[kafka-setup] missing topic " + t.name());
      return missing.size();
    }
    if (!missing.isEmpty()) {
      admin.createTopics(missing).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    System.err.println("[kafka-setup] topics: " + missing.size() + " created, "
        + (topics.size() - missing.size()) + " existed");
    return 0;
  }

  private static int ensureAcls(Admin admin, List<AclBinding> declared, boolean check)
      throws Exception {
    Set<String> principals = new HashSet<>();
    for (AclBinding b : declared) principals.add(b.entry().principal());
    Set<AclBinding> present = new HashSet<>(
        admin.describeAcls(AclBindingFilter.ANY).values().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    List<AclBinding> missing = new ArrayList<>();
    for (AclBinding b : declared) {
      if (!present.contains(b)) missing.add(b);
    }
    // Rules for our principals that nobody declared: someone widened a service's rights by hand.
    List<AclBinding> extra = new ArrayList<>();
    for (AclBinding b : present) {
      if (principals.contains(b.entry().principal()) && !declared.contains(b)) extra.add(b);
    }
    if (check) {
      for (AclBinding b : missing) System.err.println("[kafka-setup] missing ACL " + b);
      for (AclBinding b : extra) System.err.println("[kafka-setup] undeclared ACL " + b);
      return missing.size() + extra.size();
    }
    if (!missing.isEmpty()) admin.createAcls(missing).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!extra.isEmpty()) {
      List<AclBindingFilter> filters = new ArrayList<>();
      for (AclBinding b : extra) filters.add(b.toFilter());
      admin.deleteAcls(filters).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    System.err.println("[kafka-setup] ACLs: " + missing.size() + " added, " + extra.size()
        + " undeclared removed, " + declared.size() + " declared");
    return 0;
  }

  // "name kind cleanup.policy retention.ms partitions owner", as ensure-topics.sh reads it.
  private static List<TopicDecl> readTopics(Path file) throws IOException, BadDeclaration {
    List<TopicDecl> out = new ArrayList<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(file)) {
      lineNo++;
      String[] f = fields(line);
      if (f.length == 0) continue;
      if (f.length != 6) throw new BadDeclaration(file + ":" + lineNo + ": expected 6 columns");
      out.add(new TopicDecl(f[0], f[2], f[3], f[4]));
    }
    return out;
  }

  // "principal operation resource pattern name", every rule an ALLOW from any host.
  private static List<AclBinding> readAcls(Path file) throws IOException, BadDeclaration {
    List<AclBinding> out = new ArrayList<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(file)) {
      lineNo++;
      String[] f = fields(line);
      if (f.length == 0) continue;
      String where = file + ":" + lineNo + ": ";
      if (f.length != 5) throw new BadDeclaration(where + "expected 5 columns");
      AclOperation op = AclOperation.fromString(f[1].toUpperCase(Locale.ROOT));
      ResourceType type = ResourceType.fromString(f[2].replace('-', '_').toUpperCase(Locale.ROOT));
      PatternType pattern = PatternType.fromString(f[3].toUpperCase(Locale.ROOT));
      if (op == AclOperation.UNKNOWN || op == AclOperation.ANY || op == AclOperation.ALL) {
        throw new BadDeclaration(where + "operation '" + f[1] + "' is not a single operation");
      }
      if (type == ResourceType.UNKNOWN || type == ResourceType.ANY) {
        throw new BadDeclaration(where + "resource '" + f[2] + "' is not a resource type");
      }
      if (pattern != PatternType.LITERAL && pattern != PatternType.PREFIXED) {
        throw new BadDeclaration(where + "pattern must be literal or prefixed, not '" + f[3] + "'");
      }
      out.add(new AclBinding(new ResourcePattern(type, f[4], pattern),
          new AccessControlEntry("User:" + f[0], "*", op, AclPermissionType.ALLOW)));
    }
    return out;
  }

  private static String[] fields(String line) {
    String trimmed = line.strip();
    if (trimmed.isEmpty() || trimmed.startsWith("#")) return new String[0];
    return trimmed.split("\\s+");
  }

  private static void fail(String message) {
    System.err.println("[kafka-setup] ERROR: " + message);
    System.exit(2);
  }
}
